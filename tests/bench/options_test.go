package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestOptionsIDsAndSweep(t *testing.T) {
	tests := []struct {
		give    []string
		wantIDs []string
		wantErr string
	}{
		{give: nil, wantIDs: []string{idsV4}},
		{give: []string{"-ids", "v7"}, wantIDs: []string{idsV7}},
		{give: []string{"-ids", "both"}, wantIDs: []string{idsV4, idsV7}},
		{give: []string{"-ids", "v6"}, wantErr: `-ids: "v6" is not v4, v7 or both`},
		{give: []string{"-sweep-rows-per-file", "10,x"}, wantErr: `-sweep-rows-per-file: "x" is not a positive integer`},
		{give: []string{"-runs", "sweep,fast"}, wantErr: `-runs: unknown run "fast"`},
		{give: []string{"-runs", "sweep", "-sweep-rows", "20000"}, wantErr: "-sweep-rows-per-file: 100000 is more than -sweep-rows 20000"},
		{give: []string{"-sweep-rows", "20000"}, wantIDs: []string{idsV4}}, // no sweep to run

	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.give, " "), func(t *testing.T) {
			o, err := parseOptions(tt.give)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(o.IDs, tt.wantIDs) {
				t.Errorf("ids = %v, want %v", o.IDs, tt.wantIDs)
			}
			if want := []int{10, 100, 1000, 10_000, 100_000, 1_000_000}; !reflect.DeepEqual(o.SweepRowsPerFile, want) {
				t.Errorf("sweep sizes = %v, want %v", o.SweepRowsPerFile, want)
			}
		})
	}
}

func TestOptionsGrowthSizes(t *testing.T) {
	tests := []struct {
		give    string
		want    []int64
		wantErr string
	}{
		{give: "0,10M,50M,100M", want: []int64{0, 10_000_000, 50_000_000, 100_000_000}},
		{give: "500k,1.5G", want: []int64{500_000, 1_500_000_000}},
		{give: "10M,5M", wantErr: `-growth-sizes: "10M,5M" is not a row count larger than the one before`},
		{give: "x", wantErr: `-growth-sizes: "x" is not a row count`},
	}
	for _, tt := range tests {
		o, err := parseOptions([]string{"-runs", runGrowth, "-growth-sizes", tt.give})
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: err = %v, want %q", tt.give, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(o.GrowthSizes, tt.want) {
			t.Errorf("%s: sizes %v (%v), want %v", tt.give, o.GrowthSizes, err, tt.want)
		}
	}
}
