// Package update mirrors image-automation-controller's internal/update result types.
// Changes and Objects iterate files in sorted order and objects in fmtsort order so
// that the goldens are deterministic (Flux iterates Go maps, whose order is random).
package update

import (
	"sort"

	"gen/yaml"
)

type ObjectIdentifier struct {
	yaml.ResourceIdentifier
}

type Result struct {
	FileChanges map[string]ObjectChanges
}

type ObjectChanges map[ObjectIdentifier][]Change

type Change struct {
	OldValue string
	NewValue string
	Setter   string
}

func (r *Result) AddChange(file string, objectID ObjectIdentifier, changes ...Change) {
	if r.FileChanges == nil {
		r.FileChanges = map[string]ObjectChanges{}
	}
	if _, ok := r.FileChanges[file]; !ok {
		r.FileChanges[file] = ObjectChanges{}
	}
	r.FileChanges[file][objectID] = append(r.FileChanges[file][objectID], changes...)
}

func less(a, b ObjectIdentifier) bool {
	x := []string{a.APIVersion, a.Kind, a.Name, a.Namespace}
	y := []string{b.APIVersion, b.Kind, b.Name, b.Namespace}
	for i := range x {
		if x[i] != y[i] {
			return x[i] < y[i]
		}
	}
	return false
}

func (r Result) files() []string {
	files := make([]string, 0, len(r.FileChanges))
	for f := range r.FileChanges {
		files = append(files, f)
	}
	sort.Strings(files)
	return files
}

func sortedObjects(oc ObjectChanges) []ObjectIdentifier {
	objs := make([]ObjectIdentifier, 0, len(oc))
	for o := range oc {
		objs = append(objs, o)
	}
	sort.Slice(objs, func(i, j int) bool { return less(objs[i], objs[j]) })
	return objs
}

// Changes returns all the changes that were made in at least one update.
func (r Result) Changes() []Change {
	seen := make(map[Change]struct{})
	var result []Change
	for _, f := range r.files() {
		for _, o := range sortedObjects(r.FileChanges[f]) {
			for _, change := range r.FileChanges[f][o] {
				if _, ok := seen[change]; !ok {
					seen[change] = struct{}{}
					result = append(result, change)
				}
			}
		}
	}
	return result
}

// Objects returns ObjectChanges, regardless of which file they appear in.
func (r Result) Objects() ObjectChanges {
	result := make(ObjectChanges)
	for _, f := range r.files() {
		for _, o := range sortedObjects(r.FileChanges[f]) {
			result[o] = append(result[o], r.FileChanges[f][o]...)
		}
	}
	return result
}
