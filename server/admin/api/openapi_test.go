package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// recordingMux records the patterns Register adds.
type recordingMux struct{ patterns []string }

func (m *recordingMux) Handle(pattern string, _ http.Handler) {
	m.patterns = append(m.patterns, pattern)
}

// TestDocumentCoversRoutes: every route registered is in the OpenAPI
// document and every documented operation is registered; the document is
// OpenAPI 3.1 with unique operation ids, responses on every operation and
// every $ref resolving. (The e2e test TestAdminAPI sends a request to each
// documented operation of a running node.)
func TestDocumentCoversRoutes(t *testing.T) {
	h := &Handler{routes: routes()}
	raw, err := json.Marshal(document(h.routes))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI    string                               `json:"openapi"`
		Info       map[string]any                       `json:"info"`
		Paths      map[string]map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" || doc.Info["title"] == "" || doc.Info["version"] == "" {
		t.Fatalf("openapi %q, info %v", doc.OpenAPI, doc.Info)
	}
	var documented []string
	ids := map[string]bool{}
	for path, ops := range doc.Paths {
		if !strings.HasPrefix(path, Prefix+"/") {
			t.Errorf("path %s outside %s", path, Prefix)
		}
		for method, op := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
			id, _ := op["operationId"].(string)
			if id == "" || ids[id] {
				t.Errorf("%s %s: operationId %q missing or repeated", method, path, id)
			}
			ids[id] = true
			if rs, _ := op["responses"].(map[string]any); len(rs) == 0 {
				t.Errorf("%s %s: no responses", method, path)
			}
		}
	}
	m := &recordingMux{}
	h.Register(m)
	var registered []string
	for _, p := range m.patterns {
		if p == Prefix+"/" {
			continue // the problem for everything else
		}
		if strings.Count(p, " ") != 1 {
			t.Errorf("pattern %q has no method", p)
		}
		registered = append(registered, p)
	}
	// Register adds every route twice (the node's mux and its own, for 405).
	registered = slices.Compact(sorted(registered))
	documented = sorted(documented)
	if !slices.Equal(registered, documented) {
		t.Fatalf("registered and documented differ:\nregistered %v\ndocumented %v", registered, documented)
	}
	// Every $ref resolves.
	for _, ref := range refs(raw) {
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		if _, ok := doc.Components.Schemas[name]; !ok || name == ref {
			t.Errorf("$ref %s does not resolve", ref)
		}
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// refs returns every "$ref" value of the JSON text.
func refs(raw []byte) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, y := range x {
				if s, ok := y.(string); ok && k == "$ref" {
					out = append(out, s)
				}
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	var v any
	_ = json.Unmarshal(raw, &v)
	walk(v)
	return out
}
