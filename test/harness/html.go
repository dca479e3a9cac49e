package harness

import (
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/net/html"
)

// Form is an HTML form as a browser sees it.
type Form struct {
	// Action is the absolute URL the form posts to.
	Action string
	// Method is GET or POST.
	Method string
	fields []field
}

// field is one successful-control candidate of a form.
type field struct {
	name, typ, value string
	checked          bool // checkboxes and radio buttons
	button           bool // submit buttons: sent only when clicked
	options          []string
}

// Has reports whether the form has a control with the name.
func (f *Form) Has(name string) bool {
	for _, x := range f.fields {
		if x.name == name {
			return true
		}
	}
	return false
}

// Value returns what the form would send for name without changes ("" when
// nothing is sent).
func (f *Form) Value(name string) string {
	v, _ := f.Values(nil)
	return v.Get(name)
}

// Options returns the values a radio group, a select or the submit buttons
// named name offer, in page order.
func (f *Form) Options(name string) []string {
	var out []string
	for _, x := range f.fields {
		if x.name != name {
			continue
		}
		switch {
		case x.typ == "radio" || x.button:
			out = append(out, x.value)
		case x.typ == "select":
			out = append(out, x.options...)
		}
	}
	return out
}

// Values returns what submitting the form sends after set, as a browser would:
// text and hidden fields with their value (or set's), checked checkboxes
// (set to "" unchecks one, set to its value checks it), the checked radio
// button of a group (or the one whose value set names), and the submit button
// named in set (buttons are sent only when clicked). A name in set that the
// form has no control for, or a value that a radio group, select or button
// does not offer, is an error: the page must offer what a test does.
func (f *Form) Values(set map[string]string) (url.Values, error) {
	for name, v := range set {
		if !f.Has(name) {
			return nil, fmt.Errorf("the form (action %s) has no control named %q", f.Action, name)
		}
		if opts := f.Options(name); len(opts) > 0 && !slices.Contains(opts, v) && !(v == "" && f.isCheckbox(name)) {
			return nil, fmt.Errorf("the form (action %s) offers %q only %q, not %q", f.Action, name, opts, v)
		}
	}
	vals := url.Values{}
	for _, x := range f.fields {
		want, overridden := set[x.name]
		switch {
		case x.button:
			if overridden && want == x.value {
				vals.Add(x.name, x.value)
			}
		case x.typ == "radio":
			if (overridden && want == x.value) || (!overridden && x.checked) {
				vals.Add(x.name, x.value)
			}
		case x.typ == "checkbox":
			if overridden {
				if want != "" && want != x.value {
					return nil, fmt.Errorf("checkbox %q has value %q, not %q", x.name, x.value, want)
				}
				if want != "" {
					vals.Add(x.name, x.value)
				}
			} else if x.checked {
				vals.Add(x.name, x.value)
			}
		default:
			if overridden {
				vals.Set(x.name, want)
			} else {
				vals.Add(x.name, x.value)
			}
		}
	}
	return vals, nil
}

func (f *Form) isCheckbox(name string) bool {
	for _, x := range f.fields {
		if x.name == name && x.typ == "checkbox" {
			return true
		}
	}
	return false
}

// ParseForms returns the forms of an HTML document, with actions resolved
// against base.
func ParseForms(doc string, base *url.URL) []*Form {
	var forms []*Form
	var cur *Form
	var sel *field // the open <select>
	var textarea *field
	z := html.NewTokenizer(strings.NewReader(doc))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF {
				return forms
			}
			break
		}
		tok := z.Token()
		switch tt {
		case html.TextToken:
			if textarea != nil {
				textarea.value += tok.Data
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			attrs := attrMap(tok.Attr)
			switch tok.Data {
			case "form":
				action := attrs["action"]
				u, err := base.Parse(action)
				if err == nil {
					action = u.String()
				}
				method := strings.ToUpper(attrs["method"])
				if method == "" {
					method = "GET"
				}
				cur = &Form{Action: action, Method: method}
				forms = append(forms, cur)
			case "input":
				if cur == nil || attrs["name"] == "" || hasAttr(tok.Attr, "disabled") {
					continue
				}
				typ := strings.ToLower(attrs["type"])
				if typ == "" {
					typ = "text"
				}
				value, hasValue := attrs["value"]
				if !hasValue && (typ == "checkbox" || typ == "radio") {
					value = "on"
				}
				f := field{name: attrs["name"], typ: typ, value: value, checked: hasAttr(tok.Attr, "checked")}
				switch typ {
				case "submit", "image":
					f.button = true
				case "button", "reset", "file":
					continue
				}
				cur.fields = append(cur.fields, f)
			case "button":
				typ := strings.ToLower(attrs["type"])
				if cur == nil || attrs["name"] == "" || (typ != "" && typ != "submit") || hasAttr(tok.Attr, "disabled") {
					continue
				}
				cur.fields = append(cur.fields, field{name: attrs["name"], typ: "submit", value: attrs["value"], button: true})
			case "textarea":
				if cur == nil || attrs["name"] == "" {
					continue
				}
				cur.fields = append(cur.fields, field{name: attrs["name"], typ: "textarea"})
				textarea = &cur.fields[len(cur.fields)-1]
			case "select":
				if cur == nil || attrs["name"] == "" {
					continue
				}
				cur.fields = append(cur.fields, field{name: attrs["name"], typ: "select"})
				sel = &cur.fields[len(cur.fields)-1]
			case "option":
				if sel == nil {
					continue
				}
				v := attrs["value"]
				sel.options = append(sel.options, v)
				if len(sel.options) == 1 || hasAttr(tok.Attr, "selected") {
					sel.value = v
				}
			}
		case html.EndTagToken:
			switch tok.Data {
			case "form":
				cur, sel, textarea = nil, nil, nil
			case "select":
				sel = nil
			case "textarea":
				textarea = nil
			}
		}
	}
	return forms
}

func attrMap(attrs []html.Attribute) map[string]string {
	m := make(map[string]string, len(attrs))
	for _, a := range attrs {
		m[a.Key] = a.Val
	}
	return m
}

func hasAttr(attrs []html.Attribute, key string) bool {
	for _, a := range attrs {
		if a.Key == key {
			return true
		}
	}
	return false
}

// Element is an HTML element found in a document.
type Element struct {
	Tag   string
	Attrs map[string]string
	// Text is the element's text, white space collapsed to single spaces.
	Text string
	// Inner is the element's content as raw HTML.
	Inner string
}

// ByClass returns the elements inside e that have the class.
func (e Element) ByClass(class string) []Element { return ElementsByClass(e.Inner, class) }

// ByTag returns the elements inside e with the tag name.
func (e Element) ByTag(tag string) []Element { return ElementsByTag(e.Inner, tag) }

// ElementsByClass returns the elements of doc that have the class, in document order.
func ElementsByClass(doc, class string) []Element {
	return findElements(doc, func(_ string, attrs map[string]string) bool {
		return slices.Contains(strings.Fields(attrs["class"]), class)
	})
}

// ElementsByTag returns the elements of doc with the tag name, in document order.
func ElementsByTag(doc, tag string) []Element {
	return findElements(doc, func(t string, _ map[string]string) bool { return t == tag })
}

// voidElements have no end tag.
var voidElements = map[string]bool{"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true,
	"img": true, "input": true, "link": true, "meta": true, "source": true, "track": true, "wbr": true}

// findElements returns the elements that match, with their text and inner
// HTML. Nested matches are returned too.
func findElements(doc string, match func(tag string, attrs map[string]string) bool) []Element {
	type open struct {
		index int // in out
		depth int // nesting depth at which the element started
		inner strings.Builder
		text  strings.Builder
	}
	var out []Element
	var stack []*open
	depth := 0
	z := html.NewTokenizer(strings.NewReader(doc))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		raw := string(z.Raw())
		tok := z.Token()
		closing := false
		switch tt {
		case html.StartTagToken:
			if !voidElements[tok.Data] {
				depth++
			}
		case html.EndTagToken:
			if len(stack) > 0 && stack[len(stack)-1].depth == depth {
				closing = true
			}
			depth--
		}
		for i, o := range stack {
			if closing && i == len(stack)-1 {
				break
			}
			o.inner.WriteString(raw)
			if tt == html.TextToken {
				o.text.WriteString(tok.Data)
				o.text.WriteByte(' ')
			}
		}
		if closing {
			o := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			out[o.index].Inner = o.inner.String()
			out[o.index].Text = strings.Join(strings.Fields(o.text.String()), " ")
			continue
		}
		if (tt == html.StartTagToken || tt == html.SelfClosingTagToken) && match(tok.Data, attrMap(tok.Attr)) {
			out = append(out, Element{Tag: tok.Data, Attrs: attrMap(tok.Attr)})
			if tt == html.StartTagToken && !voidElements[tok.Data] {
				stack = append(stack, &open{index: len(out) - 1, depth: depth})
			}
		}
	}
	for _, o := range stack {
		out[o.index].Inner = o.inner.String()
		out[o.index].Text = strings.Join(strings.Fields(o.text.String()), " ")
	}
	return out
}
