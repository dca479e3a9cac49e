package api

import (
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// document builds the OpenAPI 3.1 document of the routes: the operations,
// their parameters, and the schemas of their bodies, made from the Go types
// the handlers read and write (their json tags), so that the document and
// the code cannot drift apart.
func document(rs []*route) map[string]any {
	schemas := map[string]any{
		"Problem": map[string]any{
			"type": "object", "required": []string{"type", "title", "status"},
			"properties": map[string]any{
				"type":    map[string]any{"type": "string", "description": "urn:dinhdanh:problem:<name>"},
				"title":   map[string]any{"type": "string"},
				"status":  map[string]any{"type": "integer"},
				"detail":  map[string]any{"type": "string"},
				"reason":  map[string]any{"type": "string", "description": "why an action was refused: role, scope, level, reauthenticate"},
				"max_age": map[string]any{"type": "integer", "description": "for reauthenticate: the max_age to ask for"},
				"errors": map[string]any{"type": "array", "items": map[string]any{
					"type": "object", "required": []string{"field", "message"},
					"properties": map[string]any{"field": map[string]any{"type": "string"}, "message": map[string]any{"type": "string"}}}},
			},
		},
	}
	paths := map[string]any{}
	pathParam := regexp.MustCompile(`\{([a-z_]+)\}`)
	problemRef := func(desc string) map[string]any {
		return map[string]any{"description": desc, "content": map[string]any{
			"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}}
	}
	for _, rt := range rs {
		item, _ := paths[Prefix+rt.path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[Prefix+rt.path] = item
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range rt.query {
			params = append(params, map[string]any{"name": q.name, "in": "query", "description": q.desc, "schema": map[string]any{"type": q.typ}})
		}
		scope := ScopeRead
		if rt.method != http.MethodGet {
			scope = ScopeWrite
		}
		status := rt.status
		if status == 0 {
			status = http.StatusOK
		}
		responses := map[string]any{
			"400": problemRef("Invalid input: nothing was changed"),
			"401": problemRef("Not authenticated, or the authentication is too old (reauthenticate)"),
			"403": problemRef("Refused: scope, level, role or agency (audited)"),
			"404": problemRef("Not found"),
			"503": problemRef("A backend is unavailable"),
		}
		if rt.resp == nil {
			responses["204"] = map[string]any{"description": "Done"}
		} else {
			responses[strconv.Itoa(status)] = map[string]any{"description": "OK", "content": map[string]any{
				"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(rt.resp), schemas)}}}
		}
		op := map[string]any{"operationId": rt.op, "summary": rt.summary, "responses": responses,
			"security": []any{map[string]any{"bearer": []string{scope}}, map[string]any{"console": []string{}}}}
		if params != nil {
			op["parameters"] = params
		}
		if rt.body != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(rt.body), schemas)}}}
			responses["409"] = problemRef("Changed meanwhile, or refused by a limit")
			responses["415"] = problemRef("The body is not application/json")
		}
		item[strings.ToLower(rt.method)] = op
	}
	paths[Prefix+"/openapi.json"] = map[string]any{"get": map[string]any{"operationId": "openapi", "summary": "This document",
		"security": []any{}, "responses": map[string]any{"200": map[string]any{"description": "The OpenAPI document",
			"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}}}}}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "dinhdanh admin API", "version": "1",
			"description": "Administration of dinhdanh: accounts, roles, applications, businesses, directories, sessions, signing keys and the audit log. " +
				"Every call acts for a person holding an administrative role, authenticated at LoA2 or above; destructive calls need a recent authentication. " +
				"Errors are RFC 7807 problem details."},
		"paths": paths,
		"components": map[string]any{
			"schemas": schemas,
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer",
					"description": "An access token dinhdanh issued to a client registered with the scopes admin.read and admin.write, for a person at LoA2 or above."},
				"console": map[string]any{"type": "apiKey", "in": "cookie", "name": "dinhdanh_session",
					"description": "The console's SSO session; a change also needs the X-CSRF-Token header."},
			},
		},
	}
}

var timeType = reflect.TypeOf(time.Time{})

// schemaOf returns the JSON schema of t, adding named structs to schemas
// and referring to them.
func schemaOf(t reflect.Type, schemas map[string]any) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.Pointer:
		return schemaOf(t.Elem(), schemas)
	case t.Kind() == reflect.Slice:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem(), schemas)}
	case t.Kind() == reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem(), schemas)}
	case t.Kind() == reflect.String:
		return map[string]any{"type": "string"}
	case t.Kind() == reflect.Bool:
		return map[string]any{"type": "boolean"}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return map[string]any{"type": "integer"}
	case t.Kind() == reflect.Float64 || t.Kind() == reflect.Float32:
		return map[string]any{"type": "number"}
	case t.Kind() != reflect.Struct:
		panic("api: no schema for " + t.String())
	}
	name := schemaName(t)
	if _, done := schemas[name]; !done {
		schemas[name] = nil // a recursion stops here
		props := map[string]any{}
		for i := range t.NumField() {
			f := t.Field(i)
			tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || tag == "-" || tag == "" {
				continue
			}
			props[tag] = schemaOf(f.Type, schemas)
		}
		schemas[name] = map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	}
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

// schemaName is the exported name of a representation type.
func schemaName(t reflect.Type) string {
	n := strings.TrimSuffix(strings.TrimSuffix(t.Name(), "JSON"), "Request")
	if strings.HasSuffix(t.Name(), "Request") {
		n += "Request"
	}
	return strings.ToUpper(n[:1]) + n[1:]
}
