package input

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/warden-dev/warden/abuse"
)

func fp(x float64) *float64 { return &x }

var numericCases = []struct {
	name string
	raw  string
	c    Constraints
	want string // violation, "" for ok
}{
	{"flat ok", `[0.1, 0.2, 0.3]`, Constraints{MaxElements: 3}, ""},
	{"scalar", `7`, Constraints{}, ""},
	{"too many", `[1,2,3,4]`, Constraints{MaxElements: 3}, "max_elements"},
	{"nan literal", `[1, NaN, 2]`, Constraints{}, "nan_inf"},
	{"inf literal", `[[1,2],[3,-Infinity]]`, Constraints{}, "nan_inf"},
	{"nan string", `[1, "NaN"]`, Constraints{}, "nan_inf"},
	{"overflow", `[1e999]`, Constraints{}, "nan_inf"},
	{"null", `[1, null]`, Constraints{}, "null"},
	{"string", `[1, "a"]`, Constraints{}, "format"},
	{"object", `[{"a":1}]`, Constraints{}, "format"},
	{"bool", `[true]`, Constraints{}, "format"},
	{"below min", `[0, -0.5]`, Constraints{Min: fp(0)}, "min"},
	{"above max", `[0, 1.5]`, Constraints{Max: fp(1)}, "max"},
	{"in range", `[0, 1]`, Constraints{Min: fp(0), Max: fp(1)}, ""},
	{"shape ok", `[[1,2,3],[4,5,6]]`, Constraints{Shape: []int{-1, 3}}, ""},
	{"shape wrong", `[[1,2],[4,5]]`, Constraints{Shape: []int{-1, 3}}, "shape"},
	{"shape dims", `[1,2,3]`, Constraints{Shape: []int{-1, 3}}, "shape"},
	{"ragged", `[[1,2,3],[4,5]]`, Constraints{}, "ragged"},
	{"gradient ok", `[0.1,0.2,0.25]`, Constraints{MaxGradient: 0.2}, ""},
	{"gradient", `[0.1,0.9]`, Constraints{MaxGradient: 0.2}, "max_gradient"},
	{"gradient not across rows", `[[0,0.1],[0.9,1]]`, Constraints{MaxGradient: 0.2}, ""},
	{"deep", `[[[[[[[[[[1]]]]]]]]]]`, Constraints{MaxDepth: 4}, "max_depth"},
	{"truncated", `[1,2,3`, Constraints{}, "truncated"},
	{"truncated number", `[1,2.5`, Constraints{}, "truncated"},
	{"unbalanced", `]`, Constraints{}, "format"},
}

func TestScanNumeric(t *testing.T) {
	for _, tc := range numericCases {
		t.Run(tc.name, func(t *testing.T) {
			res := ScanNumeric([]byte(tc.raw), tc.c)
			if res.Violation != tc.want {
				t.Fatalf("violation %q (%s), want %q", res.Violation, res.Detail, tc.want)
			}
		})
	}
	if res := ScanNumeric([]byte(`[[1,2,3],[4,5,6]]`), Constraints{}); fmt.Sprint(res.Shape) != "[2 3]" || res.Elements != 6 {
		t.Fatalf("shape %v elements %d", res.Shape, res.Elements)
	}
}

func TestInputDetector(t *testing.T) {
	d, err := NewDetector(Config{Enabled: true, Routes: []Route{{
		Route: "POST /v1/models/{name}/predict", Path: "instances", Required: true,
		MaxElements: 1000, Min: fp(0), Max: fp(1), Shape: []int{-1, 4}, MaxGradient: 0.5,
	}}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, path, body string
		truncated                bool
		action                   abuse.Action
		reason                   string
	}{
		{"ok", "POST", "/v1/models/iris/predict", `{"instances":[[0.1,0.2,0.3,0.4]]}`, false, abuse.Allow, ""},
		{"other route", "POST", "/v1/other", `{"instances":[[9]]}`, false, abuse.Allow, ""},
		{"other method", "GET", "/v1/models/iris/predict", ``, false, abuse.Allow, ""},
		{"missing", "POST", "/v1/models/iris/predict", `{"x":1}`, false, abuse.Reject, "model input violates required"},
		{"range", "POST", "/v1/models/iris/predict", `{"instances":[[0.1,0.2,0.3,4]]}`, false, abuse.Reject, "model input violates max"},
		{"nan", "POST", "/v1/models/iris/predict", `{"instances":[[0.1,NaN,0.3,0.4]]}`, false, abuse.Reject, "model input violates nan_inf"},
		{"shape", "POST", "/v1/models/iris/predict", `{"instances":[[0.1,0.2,0.3]]}`, false, abuse.Reject, "model input violates shape"},
		{"gradient", "POST", "/v1/models/iris/predict", `{"instances":[[0.0,0.9,0.3,0.4]]}`, false, abuse.Reject, "model input violates max_gradient"},
		{"truncated prefix over limit", "POST", "/v1/models/iris/predict", `{"instances":[` + strings.Repeat(`[0.1,0.1,0.1,0.1],`, 300), true, abuse.Reject, "model input violates max_elements"},
		{"truncated small", "POST", "/v1/models/iris/predict", `{"instances":[[0.1,0.1,0.1,0.1],`, true, abuse.TooLarge, "model input violates too_large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := d.Detect(context.Background(), &abuse.Request{Method: tc.method, Path: tc.path, Body: []byte(tc.body), BodyTruncated: tc.truncated})
			if v.Action != tc.action || v.Reason != tc.reason {
				t.Fatalf("verdict %+v, want action %v reason %q", v, tc.action, tc.reason)
			}
			if v.Action == abuse.Reject && (v.Violation != "model_input" || v.Action.Status() != 400) {
				t.Fatalf("verdict %+v", v)
			}
		})
	}
}

func TestInputDetectorMillions(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(`{"inputs":[`)
	for i := range 3_000_000 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("0.5")
	}
	b.WriteString(`]}`)
	d, err := NewDetector(Config{Enabled: true, Routes: []Route{{Route: "/predict", Path: "inputs", MaxElements: 10000}}})
	if err != nil {
		t.Fatal(err)
	}
	v := d.Detect(context.Background(), &abuse.Request{Method: "POST", Path: "/predict", Body: b.Bytes()})
	if v.Reason != "model input violates max_elements" {
		t.Fatalf("verdict %+v", v)
	}
}

func TestInputConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		r    Route
		want string
	}{
		{Route{Route: "predict"}, "routes[0].route:"},
		{Route{Route: "/p", Min: fp(2), Max: fp(1)}, "routes[0].min:"},
		{Route{Route: "/p", Shape: []int{0}}, "routes[0].shape[0]:"},
		{Route{Route: "/p", MaxGradient: -1}, "routes[0].max_gradient:"},
	} {
		err := Config{Routes: []Route{tc.r}}.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("Validate() = %v, want prefix %q", err, tc.want)
		}
	}
}

func FuzzScanNumeric(f *testing.F) {
	for _, tc := range numericCases {
		f.Add([]byte(tc.raw))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		res := ScanNumeric(raw, Constraints{MaxElements: 100, MaxGradient: 1, Shape: []int{-1, 2}})
		if res.Elements > 101 {
			t.Fatalf("%d elements scanned past the limit", res.Elements)
		}
	})
}

func ExampleDetector() {
	d, _ := NewDetector(Config{Enabled: true, Routes: []Route{{
		Route: "POST /predict", Path: "inputs", Min: fp(0), Max: fp(1), Shape: []int{-1, 3},
	}}})
	v := d.Detect(context.Background(), &abuse.Request{Method: "POST", Path: "/predict", Body: []byte(`{"inputs":[[0.2,0.4,7]]}`)})
	fmt.Println(v.Action.Status(), v.Reason)
	// Output: 400 model input violates max
}
