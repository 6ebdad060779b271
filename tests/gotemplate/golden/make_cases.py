# ruff: noqa: E501 - a table of template strings, kept one case per line
"""Writes cases.json: the template table rendered by Go (regen.sh) and by the Python engine.

Run: python tests/gotemplate/golden/make_cases.py && tests/gotemplate/golden/regen.sh
"""

from __future__ import annotations

import json
from pathlib import Path

DATASETS = {
    # image-automation-controller internal/source/source_test.go (TestNewSourceManager).
    "flux_one": {
        "flux": {
            "automation": ["test-ns", "test-update"],
            "values": {"cluster": "prod", "testing": "value"},
            "changes": [
                [
                    "deploy.yaml",
                    "apps/v1",
                    "Deployment",
                    "",
                    "test",
                    "helloworld:1.0.0",
                    "helloworld:1.0.1",
                    "ns:policy1",
                ]
            ],
        }
    },
    # TestTemplateMsgAggregatesObjectChangesAcrossFiles.
    "flux_aggregate": {
        "flux": {
            "automation": ["flux-system", "podinfo"],
            "values": {},
            "changes": [
                [
                    "base/deployment.yaml",
                    "apps/v1",
                    "Deployment",
                    "default",
                    "podinfo",
                    "podinfo:v1.0.0",
                    "podinfo:v1.0.1",
                    "flux-system:podinfo",
                ],
                [
                    "overlays/prod/deployment.yaml",
                    "apps/v1",
                    "Deployment",
                    "default",
                    "podinfo",
                    "1",
                    "2",
                    "flux-system:replicas",
                ],
            ],
        }
    },
    "flux_many": {
        "flux": {
            "automation": ["flux-system", "apps"],
            "values": {"env": "staging", "ticket": "OPS-42"},
            "changes": [
                [
                    "apps/web/deploy.yaml",
                    "apps/v1",
                    "Deployment",
                    "web",
                    "frontend",
                    "ghcr.io/acme/web:1.2.0",
                    "ghcr.io/acme/web:1.3.0",
                    "flux-system:web",
                ],
                [
                    "apps/web/deploy.yaml",
                    "apps/v1",
                    "Deployment",
                    "web",
                    "frontend",
                    "ghcr.io/acme/sidecar:0.1",
                    "ghcr.io/acme/sidecar:0.2",
                    "flux-system:sidecar",
                ],
                [
                    "apps/api/release.yaml",
                    "helm.toolkit.fluxcd.io/v2",
                    "HelmRelease",
                    "api",
                    "api",
                    "2.0.0",
                    "2.1.0",
                    "flux-system:api:tag",
                ],
                [
                    "apps/kustomization.yaml",
                    "",
                    "",
                    "",
                    "",
                    "ghcr.io/acme/web:1.2.0",
                    "ghcr.io/acme/web:1.3.0",
                    "flux-system:web",
                ],
                [
                    "apps/api/cron.yaml",
                    "batch/v1",
                    "CronJob",
                    "api",
                    "cleanup",
                    "busybox:1.36.0",
                    "busybox:1.36.1",
                    "flux-system:busybox",
                ],
            ],
        }
    },
    "flux_empty": {"flux": {"automation": ["ns", "empty"], "values": {}, "changes": []}},
    "plain": {
        "json": {
            "s": "hello",
            "empty": "",
            "n": 42,
            "neg": -7,
            "zero": 0,
            "f": 3.5,
            "big": 1e21,
            "small": 0.00001,
            "t": True,
            "fl": False,
            "nil": None,
            "list": ["b", "a", "c", "a"],
            "nums": [3, 1, 2],
            "mixed": [1, "x", True, None, 2.5],
            "empty_list": [],
            "empty_map": {},
            "m": {"k": "v", "n": 1, "inner": {"deep": "yes"}},
            "u": "héllo wörld ✓",
            "html": '<a href="x">&\'</a>',
            "spaces": "  padded \t\n",
            "multi": "line one\nline two\nline three",
            "tag": "v1.2.3-rc.1+build.5",
            "image": "ghcr.io/acme/app:v1.2.3",
            "path": "apps/base/../web/deploy.yaml",
            "csv": "a,b,,c",
            "title": "hello wide_world-foo bar.baz",
        }
    },
}

FLUX_RESULT_V2 = """Commit summary with ResultV2

Automation: {{ .AutomationObject }}

{{ range $filename, $objchange := .Changed.FileChanges -}}
- File: {{ $filename }}
{{- range $obj, $changes := $objchange }}
  - Object: {{ $obj.Kind }}/{{ $obj.Namespace }}/{{ $obj.Name }}
    Changes:
{{- range $_ , $change := $changes }}
    - {{ $change.OldValue }} -> {{ $change.NewValue }}
{{ end -}}
{{ end -}}
{{ end -}}
"""
FLUX_VALUES = """Commit summary

Automation: {{ .AutomationObject }}

Cluster: {{ index .Values "cluster" }}
Testing: {{ .Values.testing }}
"""
FLUX_REMOVED = """Commit summary

Automation: {{ .AutomationObject }}

Files:
{{ range $filename, $_ := .Updated.Files -}}
- {{ $filename }}
{{ end -}}

Objects:
{{ range $resource, $_ := .Updated.Objects -}}
{{ if eq $resource.Kind "Deployment" -}}
- {{ $resource.Kind | lower }} {{ $resource.Name | lower }}
{{ else -}}
- {{ $resource.Kind }} {{ $resource.Name }}
{{ end -}}
{{ end -}}

Images:
{{ range .Updated.Images -}}
- {{.}} ({{.Policy.Name}})
{{ end -}}
"""
FLUX_IMAGE_RESULT = """Commit summary

Automation: {{ .AutomationObject }}

Files:
{{ range $filename, $_ := .Changed.ImageResult.Files -}}
- {{ $filename }}
{{ end -}}
"""
# Flux docs (imageupdateautomations.md, "Message template") examples.
FLUX_DOCS = """Automated image update

Automation name: {{ .AutomationObject }}

Files:
{{ range $filename, $_ := .Changed.FileChanges -}}
- {{ $filename }}
{{ end -}}

Objects:
{{ range $resource, $changes := .Changed.Objects -}}
- {{ $resource.Kind }} {{ $resource.Name }}
  Changes:
{{- range $_, $change := $changes }}
    - {{ $change.OldValue }} -> {{ $change.NewValue }}
{{ end -}}
{{ end -}}
"""
FLUX_DOCS_VALUES = """Automated image update

[ci skip] {{ .Values.env }} ({{ index .Values "ticket" }})
{{ range .Changed.Changes -}}
- {{ .OldValue }} -> {{ .NewValue }} ({{ .Setter }})
{{ end -}}
"""
GERRIT = """Apply image updates

Change-Id: I{{ sha256sum (print .AutomationObject .Changed.FileChanges .Changed.Objects .Changed.Changes) | trunc 40 }}
"""
REAL_WORLD = [
    "{{range .Changed.Changes}}{{print .NewValue}} {{end}}",
    "chore(deps): update images\n\n{{ range $filename, $_ := .Changed.FileChanges -}}\n"
    "- {{ $filename }}\n{{ end -}}",
    "{{- range $resource, $changes := .Changed.Objects -}}\n{{ $resource.Kind }}/"
    "{{ $resource.Name }}:\n{{- range $changes }} {{ .NewValue }}{{ end }}\n{{ end -}}",
    "[ci skip] {{ .AutomationObject }}",
    "{{ range $change := .Changed.Changes }}{{ $change.OldValue }} -> {{ $change.NewValue }}\n"
    "{{ end }}",
    "Update {{ len .Changed.Changes }} image(s) in {{ len .Changed.FileChanges }} file(s)",
    '{{ range .Changed.Changes }}{{ .Setter }}={{ .NewValue | splitList ":" | last }} {{ end }}',
    "{{ $first := index .Changed.Changes 0 }}bump {{ $first.NewValue }}",
    "{{ range $f, $o := .Changed.FileChanges }}{{ $f | base }} {{ end }}",
    "{{ .Changed }}",
    "{{ .Changed.Changes }}",
    "{{ .Changed.Objects }}",
    "{{ . }}",
    "{{ range $o, $c := .Changed.Objects }}{{ $o }}={{ $c }}\n{{ end }}",
    "{{ range .Changed.Changes }}{{ . }}\n{{ end }}",
    '{{ printf "%v|%+v|%s" .AutomationObject .AutomationObject .AutomationObject }}',
    '{{ printf "%+v" .Changed.Changes }}',
    "{{ .AutomationObject.Namespace }}/{{ .AutomationObject.Name }}",
    "{{ toJson .Changed.Changes }}",
    "{{ toJson .AutomationObject }}",
    "{{ toJson .Changed.FileChanges }}",
    "{{ toJson .Values }}",
    '{{ .Values }} {{ .Values.missing }} [{{ index .Values "missing" }}]',
    "{{ range $k, $v := .Values }}{{ $k }}: {{ $v }}\n{{ end }}",
    "{{ if .Changed.Changes }}changed{{ else }}nothing{{ end }}",
    "{{ with .Values.env }}env={{ . }}{{ else }}no env{{ end }}",
    '{{ range .Changed.Changes }}{{ .NewValue | regexFind "[^:]+$" }} {{ end }}',
    '{{ range .Changed.Changes }}{{ .NewValue | replace ":" "@" | quote }} {{ end }}',
    "{{ $images := list }}{{ range .Changed.Changes }}{{ $images = append $images .NewValue }}"
    '{{ end }}{{ $images | uniq | sortAlpha | join ", " }}',
    "{{ range $o, $_ := .Changed.Objects }}{{ $o.APIVersion }} {{ end }}",
    "{{ range $o, $_ := .Changed.Objects }}{{ $o.ResourceIdentifier }} {{ end }}",
    "{{ range $o, $_ := .Changed.Objects }}{{ $o.TypeMeta.Kind }} {{ end }}",
    "{{ range $o, $_ := .Changed.Objects }}{{ $o.Bogus }}{{ end }}",
    "{{ .Changed.FileChanges.Foo }}",
    "{{ .AutomationObject.String }}",
    "{{ .Changed.Changes 1 }}",
    "{{ range .Changed.Changes }}{{ .Image }}{{ end }}",
    "{{ .Nope }}",
    "{{ range .Updated.Images }}{{ . }}{{ end }}",
    "Update from image update automation",
    "",
]

TRIM = [
    "a  {{- 1 -}}  b",
    "a {{- 1}} b",
    "a {{1 -}} b",
    "a\n\n{{- 1 -}}\n\nb",
    "{{- 1 -}}",
    "x {{/* comment */}} y",
    "x {{- /* comment */ -}} y",
    "x {{/* multi\nline */}} y",
    "{{- /* c */}}\nz",
    "a{{-3}}b",
    "a{{- 3}}b",
    "a {{3 -}}\n\tb",
    '{{ "a" }}{{ "b" }}',
    "line1\n{{- if true }}\nyes\n{{- end }}\nline3",
    "{{ range .list -}}\n  {{ . }}\n{{ end -}}",
    "{{ range .list }}\n{{ . }}{{ end }}",
]

PRINTING = [
    f"{{{{ .{k} }}}}"
    for k in (
        "s",
        "empty",
        "n",
        "neg",
        "zero",
        "f",
        "big",
        "small",
        "t",
        "fl",
        "nil",
        "list",
        "nums",
        "mixed",
        "empty_list",
        "empty_map",
        "m",
        "u",
        "missing",
        "m.k",
        "m.inner.deep",
        "m.missing",
        "m.inner",
        "missing.deeper",
    )
] + [
    "{{ . }}",
    "{{ print .s .n .t }}",
    "{{ print .n .n }}",
    "{{ print .s .s }}",
    '{{ print 1 2 "a" 3 }}',
    "{{ print .nil }}",
    "{{ print .missing }}",
    "{{ println .s .n }}",
    "{{ println }}",
    "{{ print }}",
    "{{ 1.5 }}",
    "{{ 1e6 }}",
    "{{ 100000.0 }}",
    "{{ 0x1F }}",
    "{{ 1_000 }}",
    "{{ 'a' }}",
    "{{ -3 }}",
    "{{ +3 }}",
    "{{ true }}",
    '{{ "\\t\\u00e9" }}',
    "{{ `raw\\n` }}",
    "{{ 0.1 }}",
    "{{ 1e-7 }}",
    "{{ 123456789.0 }}",
    "{{ 2.5e10 }}",
    "{{ .f }} {{ .big }} {{ .small }}",
    "{{ 0o17 }} {{ 017 }} {{ 0b101 }}",
]

PRINTF = [
    '{{ printf "%s" .s }}',
    '{{ printf "%q" .s }}',
    '{{ printf "%v" .list }}',
    '{{ printf "%q" .list }}',
    '{{ printf "%d" .n }}',
    '{{ printf "%5d|%-5d|%05d" .n .n .n }}',
    '{{ printf "%x %X %o %b" .n .n .n .n }}',
    '{{ printf "%#x %#o" .n .n }}',
    '{{ printf "%+d % d" .n .n }}',
    '{{ printf "%c %U" 65 65 }}',
    '{{ printf "%T" .s }}',
    '{{ printf "%T %T %T %T %T" .n .f .t .list .m }}',
    '{{ printf "%T" .nil }}',
    '{{ printf "%f %.2f %8.3f %e %g" .f .f .f .f .f }}',
    '{{ printf "%.3s" .s }}',
    '{{ printf "%10s|%-10s|" .s .s }}',
    '{{ printf "%t" .t }}',
    '{{ printf "%v %v" .m .nil }}',
    '{{ printf "%+v" .m }}',
    '{{ printf "%d" .s }}',
    '{{ printf "%s" .n }}',
    '{{ printf "%s %s" .s }}',
    '{{ printf "%s" .s .n }}',
    '{{ printf "%z" .n }}',
    '{{ printf "100%%" }}',
    '{{ printf "%x" .s }}',
    '{{ printf "% x" .s }}',
    '{{ printf "%q" .u }}',
    '{{ printf "%s" .nil }}',
    '{{ printf "%d" .nums }}',
    '{{ printf "%*d" 5 .n }}',
    '{{ printf "%.*f" 1 .f }}',
    '{{ printf "%v" .mixed }}',
    '{{ printf "%s" .mixed }}',
    '{{ printf "%6.2f%%" .f }}',
    '{{ printf "%#v" .s }}',
    '{{ printf "%!" }}',
    '{{ printf "%" }}',
    '{{ .n | printf "%03d" }}',
    '{{ printf "%s-%s" .s | printf "%q" }}',
    '{{ printf "%v" .missing }}',
]

CONTROL = [
    "{{ if .t }}yes{{ end }}",
    "{{ if .fl }}yes{{ else }}no{{ end }}",
    "{{ if .empty }}e{{ else if .s }}s{{ else }}n{{ end }}",
    "{{ if .nil }}x{{ else }}nil is false{{ end }}",
    "{{ if .empty_list }}x{{ else }}empty{{ end }}",
    "{{ if .m }}map{{ end }}",
    "{{ if .missing }}x{{ else }}missing{{ end }}",
    "{{ if .zero }}x{{ else }}zero{{ end }}",
    "{{ if 0.0 }}x{{ else }}0.0{{ end }}",
    "{{ with .s }}{{ . }}!{{ end }}",
    "{{ with .empty }}x{{ else }}empty{{ end }}",
    "{{ with $x := .m }}{{ $x.k }}{{ end }}",
    "{{ with .m }}{{ .k }} {{ $.s }}{{ end }}",
    "{{ range .list }}[{{ . }}]{{ end }}",
    "{{ range $i, $e := .list }}{{ $i }}={{ $e }} {{ end }}",
    "{{ range $e := .nums }}{{ $e }}{{ end }}",
    "{{ range .empty_list }}x{{ else }}none{{ end }}",
    "{{ range .m }}{{ . }};{{ end }}",
    "{{ range $k, $v := .m }}{{ $k }}={{ $v }};{{ end }}",
    "{{ range .missing }}x{{ else }}missing{{ end }}",
    "{{ range .nil }}x{{ else }}nil{{ end }}",
    "{{ range .s }}x{{ end }}",
    "{{ range .n }}x{{ end }}",
    '{{ range .list }}{{ if eq . "a" }}{{ break }}{{ end }}{{ . }}{{ end }}',
    '{{ range .list }}{{ if eq . "a" }}{{ continue }}{{ end }}{{ . }}{{ end }}',
    "{{ $x := 1 }}{{ $x }}{{ $x = 2 }}{{ $x }}",
    '{{ $x := "outer" }}{{ range .list }}{{ $x = . }}{{ end }}{{ $x }}',
    '{{ $x := "outer" }}{{ if true }}{{ $x := "inner" }}{{ $x }}{{ end }}{{ $x }}',
    "{{ range $i, $e := .list }}{{ $ }}{{ break }}{{ end }}",
    '{{ define "item" }}<{{ . }}>{{ end }}{{ range .list }}{{ template "item" . }}{{ end }}',
    '{{ define "x" }}X{{ end }}{{ template "x" }}',
    '{{ template "nope" }}',
    '{{ block "b" .s }}[{{ . }}]{{ end }}',
    '{{ define "v" }}{{ $ }}{{ end }}{{ template "v" .n }}',
    "{{ (1) }}",
    '{{ (print "a" "b") }}',
    "{{ (.m).k }}",
    '{{ (index .m "inner").deep }}',
    "{{ $m := .m }}{{ $m.inner.deep }}",
    "{{ $.s }}",
    "{{ .s | len }}",
    "{{ len .u }}",
    "{{ len .list }} {{ len .m }} {{ len .empty_list }}",
    "{{ index .list 1 }}",
    '{{ index .m "k" }}',
    '{{ index .m "missing" }}',
    '{{ index .m "inner" "deep" }}',
    "{{ index .s 0 }}",
    "{{ index .nums 5 }}",
    "{{ index .nums 3 }}",
    "{{ index .nums -1 }}",
    "{{ index .n 0 }}",
    "{{ index .nil 0 }}",
    '{{ index .list "a" }}',
    "{{ index .m 1 }}",
    "{{ index .list }}",
    "{{ and 1 0 2 }}",
    "{{ and 1 2 }}",
    '{{ or 0 "" "x" }}',
    '{{ or 0 "" }}',
    "{{ not .t }} {{ not .empty }} {{ not .list }}",
    "{{ and .t .missing.x }}",
    "{{ or .s .missing.x }}",
    '{{ eq .n 42 }} {{ eq .s "hello" }} {{ eq .s "a" "hello" }}',
    "{{ ne .n 1 }}",
    "{{ lt 1 2 }} {{ le 2 2 }} {{ gt 1 2 }} {{ ge 3 2 }}",
    '{{ lt "a" "b" }}',
    "{{ lt 1.5 2.5 }}",
    '{{ eq .n "42" }}',
    "{{ lt .n 1.5 }}",
    "{{ lt .t .fl }}",
    "{{ eq .nil .nil }}",
    "{{ eq .list .list }}",
    "{{ eq .missing .nil }}",
    "{{ eq 1 }}",
    '{{ eq .missing "x" }}',
    "{{ lt .missing 1 }}",
    "{{ len .missing }}",
    "{{ len .n }}",
    "{{ len .nil }}",
    "{{ html .html }}",
    "{{ js .html }}",
    "{{ urlquery .html }}",
    '{{ urlquery "a b/c?d=e&f" }}',
    "{{ html 1 2 }}",
    '{{ js "it\'s\\n" }}',
    '{{ .s | print "x" }}',
    '{{ "a" | printf "%s-%s" "b" }}',
    "{{ call .s }}",
]

SPRIG = [
    "{{ .s | upper }}",
    "{{ .u | upper }}",
    '{{ "ABC" | lower }}',
    "{{ .title | title }}",
    '{{ "Hello World" | untitle }}',
    "{{ .spaces | trim }}|",
    '{{ trimAll "$" "$$5.00$" }}',
    '{{ trimSuffix "-rc.1" "1.2.3-rc.1" }}',
    '{{ trimPrefix "v" .tag }}',
    "{{ .image | trunc 8 }}",
    "{{ .image | trunc -5 }}",
    "{{ .s | trunc 50 }}",
    "{{ substr 0 5 .image }}",
    "{{ substr 9 -1 .image }}",
    '{{ repeat 3 "ab" }}',
    '{{ nospace " a b\\tc " }}',
    '{{ contains "acme" .image }}',
    '{{ hasPrefix "ghcr" .image }} {{ hasSuffix "3" .image }}',
    "{{ quote .s .n .nil }}",
    "{{ squote .s }}",
    "{{ cat .s .n .nil .t }}",
    "{{ .multi | indent 4 }}",
    "{{ .multi | nindent 2 }}",
    '{{ replace "a" "b" "banana" }}',
    '{{ plural "one" "many" 1 }} {{ plural "one" "many" 2 }}',
    "{{ sha256sum .s }}",
    "{{ sha1sum .s }}",
    "{{ adler32sum .s }}",
    "{{ toString .n }} {{ toString .list }}",
    '{{ atoi "42" | add 1 }}',
    '{{ int "12" }} {{ int64 "12" }} {{ float64 "1.5" }}',
    '{{ split "," .csv }}',
    '{{ (split "," .csv)._1 }}',
    '{{ splitList "," .csv }}',
    '{{ splitn "," 2 .csv }}',
    '{{ join "-" .list }}',
    '{{ join "-" .mixed }}',
    "{{ .list | sortAlpha }}",
    "{{ .nums | sortAlpha }}",
    "{{ .list | uniq }}",
    '{{ default "def" .empty }} {{ default "def" .s }} {{ default "def" .missing }}',
    '{{ .missing | default "d" }}',
    "{{ default 5 .zero }}",
    "{{ empty .empty_map }}",
    "{{ coalesce .empty .missing .s }}",
    '{{ ternary "y" "n" .t }}',
    "{{ toJson .m }}",
    "{{ toJson .mixed }}",
    "{{ toJson .html }}",
    "{{ toRawJson .html }}",
    "{{ toPrettyJson .m }}",
    "{{ toJson .f }} {{ toJson .big }} {{ toJson .small }}",
    '{{ (fromJson "{\\"a\\": 1}").a }}',
    "{{ typeOf .n }} {{ typeOf .list }} {{ kindOf .m }}",
    '{{ typeIs "string" .s }} {{ kindIs "slice" .list }}',
    '{{ list 1 "a" .t }}',
    '{{ dict "a" 1 "b" "x" }}',
    '{{ (dict "a" 1).a }}',
    '{{ get .m "k" }} [{{ get .m "nope" }}]',
    '{{ hasKey .m "k" }}',
    "{{ keys .m | sortAlpha }}",
    '{{ $d := dict "a" 1 }}{{ $_ := set $d "b" 2 }}{{ $d }}',
    '{{ pick .m "k" }}',
    '{{ omit .m "k" "inner" }}',
    "{{ first .list }} {{ last .list }}",
    "{{ rest .list }} {{ initial .list }}",
    "{{ reverse .list }}",
    '{{ append .list "z" }}',
    '{{ prepend .list "z" }}',
    "{{ concat .list .nums }}",
    '{{ without .list "a" }}',
    '{{ has "b" .list }} {{ has "q" .list }}',
    "{{ compact .mixed }}",
    "{{ slice .list 1 3 }}",
    "{{ slice .list 2 }}",
    "{{ until 4 }}",
    "{{ untilStep 0 10 3 }}",
    "{{ add 1 2 3 }} {{ sub 5 7 }} {{ mul 2 3 4 }} {{ div 7 2 }} {{ mod 7 3 }} {{ add1 9 }}",
    "{{ max 1 9 3 }} {{ min 4 2 8 }}",
    "{{ div 1 0 }}",
    '{{ regexMatch "^v[0-9]+" .tag }}',
    '{{ regexFind "[0-9]+\\\\.[0-9]+" .tag }}',
    '{{ regexFindAll "[0-9]+" .tag -1 }}',
    '{{ regexFindAll "[0-9]+" .tag 2 }}',
    '{{ regexReplaceAll "v([0-9]+)\\\\.([0-9]+)" .tag "major=$1 minor=${2}x" }}',
    '{{ regexReplaceAll "(?P<reg>[^/]+)/(?P<rest>.*)" .image "$rest on ${reg}" }}',
    '{{ regexReplaceAllLiteral "[0-9]" .tag "$1" }}',
    '{{ regexSplit "[.-]" .tag -1 }}',
    '{{ regexSplit "[.-]" .tag 2 }}',
    '{{ regexQuoteMeta "a.b*c" }}',
    '{{ regexFind "(" .s }}',
    '{{ regexMatch "(" .s }}',
    "{{ base .path }} {{ dir .path }} {{ ext .path }} {{ clean .path }} {{ isAbs .path }}",
    '{{ b64enc .s }} {{ b64dec "aGVsbG8=" }}',
    "{{ b32enc .s }}",
    '{{ fail "stop" }}',
    "{{ first .s }}",
    "{{ upper .n }}",
    '{{ trunc "3" .s }}',
    "{{ repeat 2 }}",
    '{{ splitList ":" .image | last }}',
    '{{ .image | splitList "/" | first }}',
    '{{ .tag | replace "." "-" | upper | quote }}',
    "{{ list .s .n | toJson }}",
]

PARSE_ERRORS = [
    "{{",
    "{{ .x",
    "{{ .x }",
    "}}",
    "{{ }}",
    "{{ end }}",
    "{{ else }}",
    "{{ if .x }}",
    "{{ if .x }}{{ else }}{{ else }}{{ end }}",
    "{{ range }}{{ end }}",
    "{{ if }}{{ end }}",
    "{{ nofunc }}",
    "{{ $x }}",
    "{{ $x := }}",
    "{{ .x | }}",
    "{{ | .x }}",
    '{{ "unterminated }}',
    "{{ `raw }}",
    "{{ 'ab' }}",
    "{{ 1a }}",
    "{{ .x.1 }}",
    "{{ ( .x }}",
    "{{ .x ) }}",
    "{{ /* bad */ }}",
    "{{/* unclosed }}",
    "{{/* c */ x}}",
    "{{ .x := 1 }}",
    "{{ $x = 1 }}",
    "{{ range $a, $b, $c := .x }}{{ end }}",
    "{{ if $a, $b := .x }}{{ end }}",
    "{{ break }}",
    "{{ continue }}",
    "{{ range .x }}{{ break 1 }}{{ end }}",
    "{{ define }}",
    '{{ define "a" }}',
    '{{ define "a" }}x{{ end }}{{ define "a" }}y{{ end }}',
    "{{ template }}",
    "{{ template x }}",
    '{{ block "b" }}x',
    "{{ 1 | 2 }}",
    '{{ .x | "s" }}',
    "{{ nil.x }}",
    '{{ "s".x }}',
    "{{ 1.2.3 }}",
    "{{ .x @ }}",
    "{{ .x\n}}\n{{ if }}",
    "line1\nline2\n{{ .x | nope }}",
    "a\n{{ .x\n\n",
    "{{ 0x }}",
    '{{ "\\q" }}',
    "{{ else if .x }}",
    "{{ with }}{{ end }}",
    "{{ .x = 1 }}",
    # Jinja2 syntax users bring from other tools.
    "{{ Changed.Changes }}",
    "{{ AutomationObject }}",
    "{% for c in Changed.Changes %}{% endfor %}",
    "{{ c.NewValue | lower }}",
    '{{ Values["cluster"] }}',
    "{{ 1 // 0 }}",
    "{{ range .Changed.Changes }}{{ .NewValue }}{% endfor %}",
    "{{- x -}}",
]

EXEC_ERRORS = [
    "{{ .s.x }}",
    "{{ .nil.x }}",
    "{{ .n.x }}",
    "{{ .list.x }}",
    "{{ .m.k.x }}",
    "{{ .s 1 }}",
    "{{ .m.k 1 }}",
    "{{ $.s.foo }}",
    "{{ (.s).x }}",
    "{{ 1 2 }}",
    "{{ nil }}",
    "{{ . 1 }}",
    '{{ "a" | len | upper }}',
    "{{ upper 1 }}",
    "{{ upper .n }}",
    "{{ upper .missing }}",
    "{{ trunc .s .s }}",
    "{{ join }}",
    '{{ upper "a" "b" }}',
    "{{ index .list 10 }}",
    "{{ index .m .n }}",
    "{{ printf }}",
    "{{ printf .n }}",
    '{{ template "missing" }}',
    "{{ eq .list 1 }}",
    "{{ eq .m .m }}",
    "{{ lt .list 1 }}",
    "{{ lt .s 1 }}",
    "{{ and }}",
    "{{ not }}",
    "{{ not 1 2 }}",
    "{{ len }}",
    "{{ slice .s 1 }}",
    "{{ slice .list 3 1 }}",
    "{{ range .f }}x{{ end }}",
    "{{ if .x }}{{ .s.y }}{{ end }}",
    "line1\nline2 {{ .s.x }}",
    '{{ define "t" }}\n{{ .x.y }}{{ end }}{{ template "t" .s }}',
    "{{ .list | first | upper | quote }}",
    "{{ index 1 }}",
    "{{ index .nil }}",
    "{{ default }}",
    '{{ dict "a" }}',
    '{{ get .list "a" }}',
    "{{ keys .list }}",
    '{{ regexFindAll "(" .s -1 }}',
    '{{ until "x" }}',
    "{{ add1 }}",
    "{{ range $i, $x := .list }}{{ $x.foo }}{{ end }}",
    "{{ with .m }}{{ .inner.deep.x }}{{ end }}",
    "{{ print (.s.x) }}",
    "{{ .u.x }} ü",
    "é\n  ü {{ .u.x }}",
    '{{ print .s | printf "%s %s %s" .n .n .n .n }}',
]


def main() -> None:
    cases = []
    flux_templates = [
        FLUX_RESULT_V2,
        FLUX_VALUES,
        FLUX_REMOVED,
        FLUX_IMAGE_RESULT,
        FLUX_DOCS,
        FLUX_DOCS_VALUES,
        GERRIT,
        *REAL_WORLD,
    ]
    for data in ("flux_one", "flux_aggregate", "flux_many", "flux_empty"):
        for i, template in enumerate(flux_templates):
            cases.append({"name": f"{data}/{i}", "template": template, "data": data})
    groups = {
        "trim": TRIM,
        "print": PRINTING,
        "printf": PRINTF,
        "control": CONTROL,
        "sprig": SPRIG,
        "parse_error": PARSE_ERRORS,
        "exec_error": EXEC_ERRORS,
    }
    for group, templates in groups.items():
        for i, template in enumerate(templates):
            cases.append({"name": f"{group}/{i}", "template": template, "data": "plain"})
    out = {"datasets": DATASETS, "cases": cases}
    path = Path(__file__).with_name("cases.json")
    path.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(cases)} cases")


if __name__ == "__main__":
    main()
