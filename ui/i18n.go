package ui

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
)

// DefaultLanguage is the language of a page whose language is unknown.
const DefaultLanguage = "vi"

// languages lists the supported languages, the default first.
var languages = []string{"vi", "en"}

// catalogs holds the messages of each language: language → key → message.
var catalogs = mustLoadCatalogs(content)

// Languages returns the supported languages, the default first: {"vi", "en"}.
func Languages() []string {
	return slices.Clone(languages)
}

func supported(lang string) bool {
	return slices.Contains(languages, lang)
}

func mustLoadCatalogs(fsys fs.FS) map[string]map[string]string {
	c, err := loadCatalogs(fsys)
	if err != nil {
		panic(err) // the catalogs are embedded: a broken one is a build defect
	}
	return c
}

// loadCatalogs reads messages/<lang>.json and every feature catalog
// messages/<lang>/*.json; a key defined twice is an error.
func loadCatalogs(fsys fs.FS) (map[string]map[string]string, error) {
	c := make(map[string]map[string]string, len(languages))
	for _, lang := range languages {
		files := []string{"messages/" + lang + ".json"}
		more, err := fs.Glob(fsys, "messages/"+lang+"/*.json")
		if err != nil {
			return nil, err
		}
		files = append(files, more...)
		all := map[string]string{}
		for _, f := range files {
			data, err := fs.ReadFile(fsys, f)
			if err != nil {
				return nil, fmt.Errorf("ui: message catalog %s: %w", f, err)
			}
			var m map[string]string
			if err := json.Unmarshal(data, &m); err != nil {
				return nil, fmt.Errorf("ui: message catalog %s: %w", f, err)
			}
			for k, v := range m {
				if _, dup := all[k]; dup {
					return nil, fmt.Errorf("ui: message catalog %s: key %q is defined twice", f, k)
				}
				all[k] = v
			}
		}
		c[lang] = all
	}
	return c, nil
}

// T returns the message key in lang, formatted with fmt.Sprintf when args are
// given and the message has a verb. A key missing in lang is taken from the
// other language; a key missing everywhere is returned as it is. An
// unsupported lang looks in the default language first.
func T(lang, key string, args ...any) string {
	msg, ok := lookup(lang, key)
	if !ok {
		return key
	}
	if len(args) == 0 || !strings.Contains(msg, "%") {
		return msg
	}
	return fmt.Sprintf(msg, args...)
}

// lookup finds key in lang's catalog, then in the others.
func lookup(lang, key string) (string, bool) {
	if msg, ok := catalogs[lang][key]; ok {
		return msg, true
	}
	for _, l := range languages {
		if l == lang {
			continue
		}
		if msg, ok := catalogs[l][key]; ok {
			return msg, true
		}
	}
	return "", false
}

// hasKey reports whether some catalog holds key.
func hasKey(key string) bool {
	_, ok := lookup(DefaultLanguage, key)
	return ok
}

// Negotiate returns the language of a request, "vi" or "en": queryLang (the
// ?lang= parameter) when it names a supported language, otherwise the most
// preferred supported language of the Accept-Language header (quality values
// honoured, q=0 excluding a language, "*" standing for def), otherwise def
// when supported, otherwise "vi". Region subtags are ignored: "en-US" is "en".
func Negotiate(queryLang, acceptLanguage, def string) string {
	if l, ok := primary(queryLang); ok {
		return l
	}
	fallback := DefaultLanguage
	if l, ok := primary(def); ok {
		fallback = l
	}
	if l, ok := fromAcceptLanguage(acceptLanguage, fallback); ok {
		return l
	}
	return fallback
}

// primary maps a language tag ("vi", "EN-us", "en_GB") to a supported language.
func primary(tag string) (string, bool) {
	tag = strings.ToLower(strings.TrimSpace(tag))
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	if supported(tag) {
		return tag, true
	}
	return "", false
}

// maxAcceptLanguageRanges bounds the work done on one header.
const maxAcceptLanguageRanges = 32

type languageRange struct {
	tag string
	q   float64
}

// fromAcceptLanguage picks the preferred supported language of an
// Accept-Language header (RFC 9110, section 12.5.4). Ranges with an invalid
// quality value are ignored; among equal qualities the earlier range wins.
func fromAcceptLanguage(header, wildcard string) (string, bool) {
	var ranges []languageRange
	excluded := map[string]bool{}
	for i, part := range strings.Split(header, ",") {
		if i == maxAcceptLanguageRanges {
			break
		}
		tag, params, _ := strings.Cut(part, ";")
		tag = strings.TrimSpace(tag)
		if tag == "" {
			continue
		}
		q, ok := quality(params)
		if !ok {
			continue
		}
		if q == 0 {
			if l, ok := primary(tag); ok && !strings.ContainsAny(tag, "-_") {
				excluded[l] = true
			}
			continue
		}
		ranges = append(ranges, languageRange{tag: tag, q: q})
	}
	slices.SortStableFunc(ranges, func(a, b languageRange) int {
		switch {
		case a.q > b.q:
			return -1
		case a.q < b.q:
			return 1
		}
		return 0
	})
	for _, r := range ranges {
		if r.tag == "*" {
			if !excluded[wildcard] {
				return wildcard, true
			}
			for _, l := range languages {
				if !excluded[l] {
					return l, true
				}
			}
			continue
		}
		if l, ok := primary(r.tag); ok && !excluded[l] {
			return l, true
		}
	}
	return "", false
}

// quality parses the parameters after a language range; a missing q means 1.
func quality(params string) (float64, bool) {
	for p := range strings.SplitSeq(params, ";") {
		name, value, found := strings.Cut(strings.TrimSpace(p), "=")
		if !found || !strings.EqualFold(strings.TrimSpace(name), "q") {
			continue
		}
		value = strings.TrimSpace(value)
		if len(value) == 0 || len(value) > 5 || (value[0] != '0' && value[0] != '1') {
			return 0, false
		}
		q, err := strconv.ParseFloat(value, 64)
		if err != nil || q < 0 || q > 1 {
			return 0, false
		}
		return q, true
	}
	return 1, true
}
