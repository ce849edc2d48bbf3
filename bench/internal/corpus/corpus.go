// Package corpus locates the evaluation corpus the bench tools read. The
// corpus is not in the repository: it sits in a shared directory beside the
// checkout, so a clean clone has none and each tool must say where it
// looked and which flag points it elsewhere.
package corpus

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Default is the corpus directory relative to bench/, where the tools run
// (the bench module's root): shared/corpus beside the checkout.
const Default = "../../shared/corpus"

// Check returns an error naming dir and flag when dir is not a readable
// directory, so that a missing corpus is reported before any work, in
// place of an open error deep in a loader.
func Check(dir, flag string) error {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("corpus not found at %s (set -%s DIR)", dir, flag)
	}
	if err != nil {
		return fmt.Errorf("corpus at %s (set -%s DIR): %w", dir, flag, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("corpus %s is not a directory (set -%s DIR)", dir, flag)
	}
	return nil
}
