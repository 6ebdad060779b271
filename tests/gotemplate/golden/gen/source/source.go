// Package source mirrors image-automation-controller's internal/source TemplateData
// and its template set-up: text/template plus sprig.HermeticTxtFuncMap().
package source

import (
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"

	"gen/types"
	"gen/update"
)

type TemplateData struct {
	AutomationObject types.NamespacedName
	Changed          update.Result
	Values           map[string]string
}

// Render parses and executes like Flux's templateMsg, without its error wrapping:
// the goldens hold Go's own text/template messages.
func Render(name, text string, data interface{}) (string, error) {
	t, err := template.New(name).Funcs(sprig.HermeticTxtFuncMap()).Parse(text)
	if err != nil {
		return "", err
	}
	b := &strings.Builder{}
	if err := t.Execute(b, data); err != nil {
		return "", err
	}
	return b.String(), nil
}
