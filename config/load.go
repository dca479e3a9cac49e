package config

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// EnvPrefix starts the name of every environment variable that Load reads.
const EnvPrefix = "DINHDANH_"

// EnvConfigFile is the environment variable that the command line may use to name the configuration file.
// Load does not read it and does not treat it as an unknown variable.
const EnvConfigFile = EnvPrefix + "CONFIG"

// Load returns the configuration made of the defaults, then the YAML file at path (none when path is ""),
// then the DINHDANH_* variables of environ (as returned by os.Environ; nil for none). Each layer replaces
// only the settings it names. Load then strips one trailing slash from the issuer.
//
// Unknown keys in the file, unknown DINHDANH_* variables (other than EnvConfigFile) and values that do not
// parse are errors; Load reports all of those in the file together, and all of those in the environment
// together, each with the line or variable it comes from. Load does not call Validate.
func Load(path string, environ []string) (*Config, error) {
	c := Default()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		if err := decodeYAML(data, c); err != nil {
			return nil, fmt.Errorf("config: %s: %w", path, err)
		}
	}
	if err := applyEnv(c, environ); err != nil {
		return nil, err
	}
	c.Issuer = strings.TrimSuffix(c.Issuer, "/")
	return c, nil
}

// decodeYAML decodes one YAML document over c, rejecting unknown keys. An empty document leaves c unchanged.
func decodeYAML(data []byte, c *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for i, msg := range te.Errors {
				te.Errors[i] = nameUnknownKey(msg)
			}
		}
		return err
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
		return nil
	case err != nil:
		return err
	}
	return errors.New("the file holds more than one YAML document")
}

// unknownField matches the decoder's report of an unknown key, which names the Go type of the section.
var unknownField = regexp.MustCompile(`^(line \d+: )field (.+) not found in type config\.(\w+)$`)

// nameUnknownKey rewrites the decoder's report of an unknown key to name its dotted YAML path.
func nameUnknownKey(msg string) string {
	m := unknownField.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	prefix := ""
	if m[3] != "Config" {
		cfg := reflect.TypeFor[Config]()
		for i := range cfg.NumField() {
			if f := cfg.Field(i); f.Type.Name() == m[3] {
				prefix, _, _ = strings.Cut(f.Tag.Get("yaml"), ",")
				prefix += "."
			}
		}
	}
	return m[1] + "unknown key " + prefix + m[2]
}

// EnvError reports the DINHDANH_* environment variables that Load could not apply.
type EnvError struct {
	// Problems holds one entry per variable, in the order of the environment; Problem.Key is the variable
	// name.
	Problems []Problem
}

// Error lists the problems, one per line.
func (e *EnvError) Error() string {
	return formatProblems("config: invalid environment", e.Problems)
}

// applyEnv sets the leaf of c named by each DINHDANH_* variable of environ. When a variable appears twice,
// the later one wins.
func applyEnv(c *Config, environ []string) error {
	byEnv := leavesByEnv()
	root := reflect.ValueOf(c).Elem()
	var problems []Problem
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, EnvPrefix) || name == EnvConfigFile {
			continue
		}
		l, ok := byEnv[name]
		if !ok {
			problems = append(problems, Problem{Key: name, Message: "unknown variable: no configuration key has this name"})
			continue
		}
		if l.fileOnly {
			problems = append(problems, Problem{Key: name, Message: fmt.Sprintf("%s is a list of sections: set it in the configuration file", l.key)})
			continue
		}
		if err := setText(root.FieldByIndex(l.index), value); err != nil {
			problems = append(problems, Problem{Key: name, Message: fmt.Sprintf("sets %s: %v", l.key, err)})
		}
	}
	if len(problems) > 0 {
		return &EnvError{Problems: problems}
	}
	return nil
}

// leaf is a setting that holds a value rather than a section of settings.
type leaf struct {
	key   string // dotted YAML path, e.g. "tokens.access_token_lifespan"
	env   string // environment variable, e.g. "DINHDANH_TOKENS_ACCESS_TOKEN_LIFESPAN"
	index []int  // field index path from Config
	typ   reflect.Type
	// fileOnly marks a list of sections (such as directories), which only the file can set.
	fileOnly bool
}

// envName returns the environment variable for a dotted YAML key.
func envName(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// leaves lists every leaf setting of Config in declaration order. A list of sections (such as directories) is
// one leaf, marked fileOnly.
var leaves = sync.OnceValue(func() []leaf {
	var out []leaf
	var walk func(t reflect.Type, prefix string, index []int)
	walk = func(t reflect.Type, prefix string, index []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				panic("config: field " + t.Name() + "." + f.Name + " has no yaml tag")
			}
			key := prefix + name
			idx := append(append([]int(nil), index...), i)
			if f.Type.Kind() == reflect.Struct {
				walk(f.Type, key+".", idx)
				continue
			}
			fileOnly := f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct
			out = append(out, leaf{key: key, env: envName(key), index: idx, typ: f.Type, fileOnly: fileOnly})
		}
	}
	walk(reflect.TypeFor[Config](), "", nil)
	return out
})

// leavesByEnv maps each environment variable to its leaf. Two keys with the same variable are a programming
// error.
var leavesByEnv = sync.OnceValue(func() map[string]leaf {
	m := make(map[string]leaf)
	for _, l := range leaves() {
		if other, dup := m[l.env]; dup {
			panic("config: keys " + other.key + " and " + l.key + " share the variable " + l.env)
		}
		m[l.env] = l
	}
	return m
})

var textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()

// settable reports whether setText can set a value of type t.
func settable(t reflect.Type) bool {
	if reflect.PointerTo(t).Implements(textUnmarshalerType) {
		return true
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

// setText parses s into v, which must be addressable and of a settable type.
func setText(v reflect.Value, s string) error {
	if u, ok := v.Addr().Interface().(encoding.TextUnmarshaler); ok {
		return u.UnmarshalText([]byte(s))
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("%q is not a boolean: write true or false", s)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, v.Type().Bits())
		if err != nil {
			lowest := int64(-1) << (v.Type().Bits() - 1)
			return fmt.Errorf("%q is not a whole number from %d to %d", s, lowest, ^lowest)
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(strings.TrimSpace(s), 10, v.Type().Bits())
		if err != nil {
			highest := ^uint64(0) >> (64 - v.Type().Bits())
			return fmt.Errorf("%q is not a whole number from 0 to %d", s, highest)
		}
		v.SetUint(n)
	default:
		return fmt.Errorf("a %s cannot be set from the environment", v.Type())
	}
	return nil
}
