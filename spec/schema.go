package spec

import (
	_ "embed"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"strings"
)

// specSource is this package's type declarations, whose field comments become the schema's
// descriptions: one source for the code, the docs and the editor's hints.
//
//go:embed spec.go
var specSource string

// SchemaID is where the schema is published, for the `# yaml-language-server: $schema=` line.
const SchemaID = "https://raw.githubusercontent.com/goimage/goimage/main/spec/goimagefile.schema.json"

// Schema returns the JSON schema (draft 2020-12) of a version 1 Goimagefile, generated from
// the Spec types: every field, its type and its doc comment, unknown fields refused.
func Schema() []byte {
	docs := fieldDocs()
	root := schemaOf(reflect.TypeOf(Spec{}), docs)
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["$id"] = SchemaID
	root["title"] = "Goimagefile"
	root["description"] = "A goimage build: a Go project turned into a container image by the goimage BuildKit frontend."
	root["required"] = []string{"version"}
	props := root["properties"].(map[string]any)
	props["version"].(map[string]any)["const"] = 1
	data, err := json.MarshalIndent(root, "", "  ")
	if err != nil {
		panic(err) // maps of strings, slices and numbers always marshal
	}
	return append(data, '\n')
}

func schemaOf(t reflect.Type, docs map[string]string) map[string]any {
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int:
		return map[string]any{"type": "integer"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem(), docs)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem(), docs)}
	case reflect.Struct:
		props := map[string]any{}
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("yaml")
			if tag == "" {
				continue
			}
			p := schemaOf(f.Type, docs)
			if d := docs[t.Name()+"."+f.Name]; d != "" {
				p["description"] = d
			}
			props[tag] = p
		}
		return map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	}
	panic("spec: no schema for " + t.String())
}

// fieldDocs maps "Type.Field" to the field's doc comment in specSource.
func fieldDocs() map[string]string {
	f, err := parser.ParseFile(token.NewFileSet(), "spec.go", specSource, parser.ParseComments)
	if err != nil {
		panic(err) // the embedded source compiled, so it parses
	}
	docs := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok {
			return true
		}
		st, ok := ts.Type.(*ast.StructType)
		if !ok {
			return false
		}
		for _, field := range st.Fields.List {
			doc := strings.Join(strings.Fields(field.Doc.Text()), " ")
			for _, name := range field.Names {
				docs[ts.Name.Name+"."+name.Name] = doc
			}
		}
		return false
	})
	return docs
}
