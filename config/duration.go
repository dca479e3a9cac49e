package config

import (
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Duration is a time.Duration written in YAML and in environment variables as Go duration text: "250ms",
// "30s", "15m", "1h30m", "720h". A bare number other than 0 has no unit and is an error. It marshals back to
// the shortest such text ("10m", not "10m0s").
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String returns d as Go duration text without trailing zero units: "10m", "1h30m", "720h", "250ms", "0s".
func (d Duration) String() string {
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// parseDuration parses Go duration text with an error message meant for the person who wrote it.
func parseDuration(s string) (Duration, error) {
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration: write Go duration text such as \"90s\", \"15m\" or \"720h\"", s)
	}
	return Duration(v), nil
}

// UnmarshalText parses Go duration text; environment variables are read through it.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := parseDuration(string(text))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalText returns the text of String.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalYAML parses a YAML scalar holding Go duration text. Its errors are YAML type errors that name the
// line, so that the decoder reports them together with other mistakes in the file.
func (d *Duration) UnmarshalYAML(value *yaml.Node) error {
	if value.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{
			fmt.Sprintf("line %d: expected a duration such as \"15m\", found a %s", value.Line, nodeKindName(value.Kind)),
		}}
	}
	v, err := parseDuration(value.Value)
	if err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %v", value.Line, err)}}
	}
	*d = v
	return nil
}

// MarshalYAML returns the text of String.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

func nodeKindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "non-scalar value"
}

// wordList reads a YAML list of strings, or one comma-separated string; null
// and an empty list are none. item and list describe the expected values in
// error messages.
func wordList(value *yaml.Node, item, list string) ([]string, error) {
	var words []string
	switch value.Kind {
	case yaml.ScalarNode:
		if value.Tag != "!!null" {
			words = strings.Split(value.Value, ",")
		}
	case yaml.SequenceNode:
		for _, it := range value.Content {
			if it.Kind != yaml.ScalarNode {
				return nil, &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: expected %s, found a %s", it.Line, item, nodeKindName(it.Kind))}}
			}
			words = append(words, it.Value)
		}
	default:
		return nil, &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: expected a list of %s, found a %s", value.Line, list, nodeKindName(value.Kind))}}
	}
	return words, nil
}
