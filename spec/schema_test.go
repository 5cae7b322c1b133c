package spec

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

// TestSchemaCurrent checks that the committed schema is what the types give: run
// `go test ./spec -update` after changing them.
func TestSchemaCurrent(t *testing.T) {
	got := Schema()
	if *update {
		if err := os.WriteFile("goimagefile.schema.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("goimagefile.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("spec/goimagefile.schema.json is out of date: run go test ./spec -update")
	}
}

// TestSchemaDescribesFields spot-checks the generated schema: types, docs, strictness.
func TestSchemaDescribesFields(t *testing.T) {
	var s struct {
		Required             []string `json:"required"`
		AdditionalProperties bool     `json:"additionalProperties"`
		Properties           map[string]struct {
			Type        string          `json:"type"`
			Description string          `json:"description"`
			Items       json.RawMessage `json:"items"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(Schema(), &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Required) != 1 || s.Required[0] != "version" || s.AdditionalProperties {
		t.Errorf("required %v, additionalProperties %v; want [version] and false", s.Required, s.AdditionalProperties)
	}
	for field, typ := range map[string]string{"version": "integer", "cgo": "boolean", "binaries": "array", "env": "object", "image": "object", "goproxy": "string"} {
		p, ok := s.Properties[field]
		if !ok || p.Type != typ || p.Description == "" {
			t.Errorf("%s: type %q, description %q; want %s with a description", field, p.Type, p.Description, typ)
		}
	}
}
