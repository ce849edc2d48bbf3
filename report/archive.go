package report

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Archive keeps reports as JSON files, one per date (YYYY-MM-DD.json), in
// a directory of the data dir. Each instance of a cluster keeps its own;
// they all read the same event store, so their reports agree. It is safe
// for concurrent use: a file is written whole and renamed into place.
type Archive struct{ dir string }

// NewArchive returns the archive in dir, created (mode 0700) on first Put.
func NewArchive(dir string) *Archive { return &Archive{dir: dir} }

func (a *Archive) path(date string) string { return filepath.Join(a.dir, date+".json") }

// Put stores r, replacing any report of its date.
func (a *Archive) Put(r *Report) error {
	if _, err := time.Parse(time.DateOnly, r.Date); err != nil {
		return fmt.Errorf("report: store: bad date %q", r.Date)
	}
	if err := os.MkdirAll(a.dir, 0o700); err != nil {
		return fmt.Errorf("report: store: %w", err)
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("report: store: %w", err)
	}
	tmp, err := os.CreateTemp(a.dir, "."+r.Date+"-*.tmp")
	if err != nil {
		return fmt.Errorf("report: store: %w", err)
	}
	defer os.Remove(tmp.Name()) // gone after the rename; cleans up after a failure
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("report: store: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("report: store: %w", err)
	}
	if err := os.Rename(tmp.Name(), a.path(r.Date)); err != nil {
		return fmt.Errorf("report: store: %w", err)
	}
	return nil
}

// Get returns the stored report of date's calendar day. A missing report
// is an error matching fs.ErrNotExist.
func (a *Archive) Get(date time.Time) (*Report, error) {
	data, err := os.ReadFile(a.path(date.Format(time.DateOnly)))
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("report: decode %s: %w", date.Format(time.DateOnly), err)
	}
	return &r, nil
}

// Report implements admin.Reports: date is the day the URL names.
func (a *Archive) Report(_ context.Context, date time.Time) (any, error) {
	r, err := a.Get(date)
	if err != nil {
		return nil, err
	}
	return r, nil
}
