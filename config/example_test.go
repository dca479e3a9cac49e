package config

import (
	"bytes"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const exampleFile = "dinhdanh.example.yaml"

func TestExampleEqualsDefault(t *testing.T) {
	got, err := Load(exampleFile, nil)
	if err != nil {
		t.Fatalf("Load(%s): %v", exampleFile, err)
	}
	if want := Default(); !reflect.DeepEqual(got, want) {
		t.Errorf("%s differs from Default():\n got %+v\nwant %+v", exampleFile, got, want)
	}
}

// exampleKeys returns the dotted path of every scalar key of the example file, in file order, and the
// paths of keys that carry no comment.
func exampleKeys(t *testing.T) (keys, uncommented []string) {
	t.Helper()
	data, err := os.ReadFile(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			path := prefix + k.Value
			if k.HeadComment == "" && k.LineComment == "" {
				uncommented = append(uncommented, path)
			}
			if v.Kind == yaml.MappingNode {
				walk(v, path+".")
				continue
			}
			keys = append(keys, path)
		}
	}
	walk(doc.Content[0], "")
	return keys, uncommented
}

func TestExampleListsEveryKeyInOrder(t *testing.T) {
	var want []string
	for _, l := range leaves() {
		want = append(want, l.key)
	}
	got, uncommented := exampleKeys(t)
	for _, k := range want {
		if !slices.Contains(got, k) {
			t.Errorf("%s lacks key %s", exampleFile, k)
		}
	}
	for _, k := range got {
		if !slices.Contains(want, k) {
			t.Errorf("%s has key %s, which Config does not have", exampleFile, k)
		}
	}
	if !t.Failed() && !slices.Equal(got, want) {
		t.Errorf("%s lists keys in another order than Config:\n got %s\nwant %s", exampleFile,
			strings.Join(got, " "), strings.Join(want, " "))
	}
	if len(uncommented) > 0 {
		t.Errorf("%s: keys without a comment: %s", exampleFile, strings.Join(uncommented, ", "))
	}
}

func TestExampleReturnsTheFile(t *testing.T) {
	data, err := os.ReadFile(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	got := Example()
	if !bytes.Equal(got, data) {
		t.Fatal("Example() differs from the file")
	}
	got[0] = 'X'
	if !bytes.Equal(Example(), data) {
		t.Fatal("Example() returns shared memory")
	}
}
