package ui

import (
	"fmt"
	"html"
	"strings"
	"testing"
)

// element is one start tag of a rendered page, with its attributes
// (names lower-cased, values unescaped) and the form it is in.
type element struct {
	name  string
	attrs map[string]string
	form  int // index of the enclosing <form> among the page's forms, -1 if none
	body  string
}

func (e element) attr(name string) (string, bool) {
	v, ok := e.attrs[name]
	return v, ok
}

// parseElements is a small tokenizer for the well-formed HTML that
// html/template produces: it returns the start tags in document order and
// fails on anything it cannot read (an unterminated tag or quote, a
// duplicated attribute). Text never contains a raw "<" because the
// templates escape it.
func parseElements(doc string) ([]element, error) {
	var out []element
	form, forms := -1, 0
	i := 0
	for i < len(doc) {
		lt := strings.IndexByte(doc[i:], '<')
		if lt < 0 {
			break
		}
		i += lt
		rest := doc[i:]
		switch {
		case strings.HasPrefix(rest, "<!--"):
			end := strings.Index(rest, "-->")
			if end < 0 {
				return nil, fmt.Errorf("unterminated comment at %d", i)
			}
			i += end + 3
			continue
		case strings.HasPrefix(rest, "<!"):
			end := strings.IndexByte(rest, '>')
			if end < 0 {
				return nil, fmt.Errorf("unterminated declaration at %d", i)
			}
			i += end + 1
			continue
		case strings.HasPrefix(rest, "</"):
			end := strings.IndexByte(rest, '>')
			if end < 0 {
				return nil, fmt.Errorf("unterminated end tag at %d", i)
			}
			if strings.EqualFold(strings.TrimSpace(rest[2:end]), "form") {
				form = -1
			}
			i += end + 1
			continue
		}
		j := i + 1
		for j < len(doc) && isNameByte(doc[j]) {
			j++
		}
		if j == i+1 {
			return nil, fmt.Errorf("stray %q at %d: %q", "<", i, excerpt(doc, i))
		}
		el := element{name: strings.ToLower(doc[i+1 : j]), attrs: map[string]string{}, form: form}
		for {
			for j < len(doc) && isSpace(doc[j]) {
				j++
			}
			if j >= len(doc) {
				return nil, fmt.Errorf("unterminated tag <%s", el.name)
			}
			if doc[j] == '>' {
				j++
				break
			}
			if strings.HasPrefix(doc[j:], "/>") {
				j += 2
				break
			}
			k := j
			for k < len(doc) && !isSpace(doc[k]) && doc[k] != '=' && doc[k] != '>' && doc[k] != '/' {
				k++
			}
			if k == j {
				return nil, fmt.Errorf("bad attribute in <%s at %d: %q", el.name, j, excerpt(doc, j))
			}
			name := strings.ToLower(doc[j:k])
			value := ""
			j = k
			if j < len(doc) && doc[j] == '=' {
				j++
				if j < len(doc) && (doc[j] == '"' || doc[j] == '\'') {
					q := doc[j]
					end := strings.IndexByte(doc[j+1:], q)
					if end < 0 {
						return nil, fmt.Errorf("unterminated value of %s in <%s", name, el.name)
					}
					value = doc[j+1 : j+1+end]
					j += end + 2
				} else {
					k := j
					for k < len(doc) && !isSpace(doc[k]) && doc[k] != '>' {
						k++
					}
					value = doc[j:k]
					j = k
				}
			}
			if _, dup := el.attrs[name]; dup {
				return nil, fmt.Errorf("duplicate attribute %s in <%s", name, el.name)
			}
			el.attrs[name] = html.UnescapeString(value)
		}
		if el.name == "form" {
			form = forms
			forms++
			el.form = form
		}
		if el.name == "script" || el.name == "style" {
			end := strings.Index(strings.ToLower(doc[j:]), "</"+el.name)
			if end < 0 {
				return nil, fmt.Errorf("unterminated <%s>", el.name)
			}
			el.body = doc[j : j+end]
			j += end
		}
		out = append(out, el)
		i = j
	}
	return out, nil
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-'
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f'
}

func excerpt(s string, i int) string {
	end := min(i+60, len(s))
	return s[i:end]
}

// checkPage asserts the rules every page follows: CSP-safe markup, the
// language, unique ids, a label for every field, resolvable ARIA
// references, and a CSRF token in every form.
func checkPage(t *testing.T, doc, lang string) []element {
	t.Helper()
	els, err := parseElements(doc)
	if err != nil {
		t.Fatalf("page does not parse: %v", err)
	}
	ids := map[string]bool{}
	labelFor := map[string]bool{}
	var h1, viewport int
	htmlLang := ""
	for _, e := range els {
		if id, ok := e.attr("id"); ok {
			if id == "" {
				t.Errorf("<%s> has an empty id", e.name)
			}
			if ids[id] {
				t.Errorf("duplicate id %q", id)
			}
			ids[id] = true
		}
		if e.name == "label" {
			if f, ok := e.attr("for"); ok {
				labelFor[f] = true
			}
		}
		for name, value := range e.attrs {
			if strings.HasPrefix(name, "on") {
				t.Errorf("event-handler attribute %s=%q on <%s>", name, value, e.name)
			}
			if name == "style" {
				t.Errorf("inline style attribute on <%s>", e.name)
			}
			if name == "href" || name == "src" || name == "action" || name == "formaction" {
				v := strings.ToLower(strings.TrimSpace(value))
				// The one data: URL allowed is a PNG image made by the
				// server (an authenticator app's QR code).
				if strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "data:") && !(e.name == "img" && name == "src" && strings.HasPrefix(v, "data:image/png;base64,")) {
					t.Errorf("%s=%q on <%s>", name, value, e.name)
				}
			}
		}
		switch e.name {
		case "style":
			t.Errorf("inline <style> element")
		case "script":
			if src, _ := e.attr("src"); src == "" {
				t.Errorf("<script> without src")
			}
			if strings.TrimSpace(e.body) != "" {
				t.Errorf("inline script content %q", e.body)
			}
		case "h1":
			h1++
		case "html":
			htmlLang, _ = e.attr("lang")
		case "meta":
			if n, _ := e.attr("name"); n == "viewport" {
				viewport++
			}
		}
	}
	if htmlLang != lang {
		t.Errorf(`<html lang=%q>, want %q`, htmlLang, lang)
	}
	if !strings.Contains(doc, `<html lang="`+lang+`">`) {
		t.Errorf(`page lacks <html lang="%s">`, lang)
	}
	if h1 != 1 {
		t.Errorf("%d <h1> elements, want 1", h1)
	}
	if viewport != 1 {
		t.Errorf("%d viewport meta elements, want 1", viewport)
	}
	if !ids["main"] {
		t.Errorf("no element with id main for the skip link")
	}
	for _, e := range els {
		for _, a := range []string{"aria-describedby", "aria-labelledby", "aria-controls"} {
			v, ok := e.attr(a)
			if !ok {
				continue
			}
			if strings.TrimSpace(v) == "" {
				t.Errorf("empty %s on <%s>", a, e.name)
			}
			for _, ref := range strings.Fields(v) {
				if !ids[ref] {
					t.Errorf("%s=%q on <%s> refers to missing id %q", a, v, e.name, ref)
				}
			}
		}
		if e.name == "label" {
			if f, ok := e.attr("for"); ok && !ids[f] {
				t.Errorf("<label for=%q> has no matching id", f)
			}
		}
		if e.name == "a" {
			if h, _ := e.attr("href"); strings.HasPrefix(h, "#") && len(h) > 1 && h != "#ZgotmplZ" && !ids[h[1:]] {
				t.Errorf("link to missing fragment %q", h)
			}
		}
		if isField(e) {
			id, _ := e.attr("id")
			name, _ := e.attr("name")
			if id == "" || !labelFor[id] {
				t.Errorf("field %q (id %q) has no <label for>", name, id)
			}
		}
	}
	forms := map[int]bool{}
	csrf := map[int]bool{}
	// A search form (role="search") changes nothing: it is sent with GET
	// and must not carry the CSRF token (which would end up in the URL).
	search := map[int]bool{}
	for _, e := range els {
		if e.name == "form" {
			m, _ := e.attr("method")
			role, _ := e.attr("role")
			if m == "get" && role == "search" {
				search[e.form] = true
				continue
			}
			forms[e.form] = true
			if m != "post" {
				t.Errorf("form %d has method %q, want post", e.form, m)
			}
		}
		if e.name == "input" && e.form >= 0 {
			if n, _ := e.attr("name"); n == "csrf_token" {
				if typ, _ := e.attr("type"); typ != "hidden" {
					t.Errorf("csrf_token input of type %q", typ)
				}
				csrf[e.form] = true
			}
		}
	}
	for f := range search {
		if csrf[f] {
			t.Errorf("search form %d carries the csrf_token", f)
		}
	}
	for f := range forms {
		if !csrf[f] {
			t.Errorf("form %d has no csrf_token field", f)
		}
	}
	return els
}

// isField reports whether e is a form control a person fills in.
func isField(e element) bool {
	switch e.name {
	case "select", "textarea":
		return true
	case "input":
		typ, _ := e.attr("type")
		switch typ {
		case "hidden", "submit", "button", "reset", "image":
			return false
		}
		return true
	}
	return false
}

// find returns the elements named name whose attributes include all of want.
func find(els []element, name string, want map[string]string) []element {
	var out []element
	for _, e := range els {
		if e.name != name {
			continue
		}
		ok := true
		for k, v := range want {
			if got, has := e.attrs[k]; !has || got != v {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, e)
		}
	}
	return out
}
