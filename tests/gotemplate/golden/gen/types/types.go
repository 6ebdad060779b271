// Package types mirrors k8s.io/apimachinery/pkg/types.NamespacedName, so that
// template output and error text name the same type as in Flux.
package types

type NamespacedName struct {
	Namespace string
	Name      string
}

// String is the same as apimachinery's: namespace/name.
func (n NamespacedName) String() string {
	return n.Namespace + "/" + n.Name
}
