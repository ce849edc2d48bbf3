package behavior

// SetScanKey fixes the key of d's slow-scan sketch, so that tests outside
// the package replay the same bits every run.
func SetScanKey(d *Detector, key uint64) { d.scanKey = key }
