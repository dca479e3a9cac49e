package harness

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// PostJSON posts v as JSON to path at the identity provider with the
// browser's cookies, as a page's script does (fetch with the page's
// Origin), and returns the status and the decoded JSON answer (nil when
// the answer is not a JSON object).
func (b *Browser) PostJSON(t testing.TB, path string, v any) (int, map[string]any) {
	t.Helper()
	body, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, b.resolve(path), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for name, values := range b.Header {
		req.Header[name] = values
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Origin", req.URL.Scheme+"://"+req.URL.Host)
	req.Header.Set("Accept-Language", b.AcceptLanguage)
	req.Header.Set("User-Agent", b.UserAgent)
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("POST %s: reading the body: %v", path, err)
	}
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}
