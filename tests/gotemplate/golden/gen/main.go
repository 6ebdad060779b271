// Command gen renders every case of cases.json with Go's text/template and Sprig and
// writes the outputs (or error texts) as goldens.json. Run it through regen.sh.
package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"runtime"

	"gen/source"
	"gen/types"
	"gen/update"
	"gen/yaml"
)

type fluxData struct {
	Automation [2]string         `json:"automation"`
	Values     map[string]string `json:"values"`
	Changes    [][8]string       `json:"changes"`
}

type dataset struct {
	Flux *fluxData   `json:"flux"`
	JSON interface{} `json:"json"`
}

type testCase struct {
	Name     string `json:"name"`
	Template string `json:"template"`
	Data     string `json:"data"`
}

type cases struct {
	Datasets map[string]dataset `json:"datasets"`
	Cases    []testCase         `json:"cases"`
}

type golden struct {
	Name   string  `json:"name"`
	Output *string `json:"output,omitempty"`
	Error  *string `json:"error,omitempty"`
}

// integers turns JSON's float64 numbers that are integral into int, as the
// Python side reads JSON.
func integers(v interface{}) interface{} {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return int(x)
		}
		return x
	case []interface{}:
		for i := range x {
			x[i] = integers(x[i])
		}
		return x
	case map[string]interface{}:
		for k := range x {
			x[k] = integers(x[k])
		}
		return x
	}
	return v
}

func build(d dataset) interface{} {
	if d.Flux == nil {
		return integers(d.JSON)
	}
	data := source.TemplateData{
		AutomationObject: types.NamespacedName{Namespace: d.Flux.Automation[0], Name: d.Flux.Automation[1]},
		Values:           d.Flux.Values,
	}
	if len(data.Values) == 0 {
		// An ImageUpdateAutomation without messageTemplateValues: a nil map.
		data.Values = nil
	}
	for _, c := range d.Flux.Changes {
		id := update.ObjectIdentifier{ResourceIdentifier: yaml.ResourceIdentifier{
			TypeMeta: yaml.TypeMeta{APIVersion: c[1], Kind: c[2]},
			NameMeta: yaml.NameMeta{Namespace: c[3], Name: c[4]},
		}}
		data.Changed.AddChange(c[0], id, update.Change{OldValue: c[5], NewValue: c[6], Setter: c[7]})
	}
	return data
}

func main() {
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	var all cases
	if err := json.Unmarshal(raw, &all); err != nil {
		panic(err)
	}
	out := make([]golden, 0, len(all.Cases))
	for _, c := range all.Cases {
		ds, ok := all.Datasets[c.Data]
		if !ok && c.Data != "" {
			panic("unknown dataset " + c.Data)
		}
		text, err := source.Render("commit message", c.Template, build(ds))
		g := golden{Name: c.Name}
		if err != nil {
			msg := err.Error()
			g.Error = &msg
		} else {
			g.Output = &text
		}
		out = append(out, g)
	}
	enc, _ := json.MarshalIndent(map[string]interface{}{
		"go":      runtime.Version(),
		"goldens": out,
	}, "", "  ")
	if err := os.WriteFile(os.Args[2], append(enc, '\n'), 0o644); err != nil {
		panic(err)
	}
	fmt.Printf("%d goldens written with %s\n", len(out), runtime.Version())
}
