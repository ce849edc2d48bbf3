package postgres

import (
	"context"
	"testing"
	"time"
)

// Two instances on one PostgreSQL: one wins a claim and may extend it;
// the other gets it once released or expired.
func TestClaimAlert(t *testing.T) {
	dsn, _ := newDB(t)
	a, b := open(t, dsn, Options{}), open(t, dsn, Options{})
	ctx := context.Background()
	const k = "blocked|GET /api/search|block|firing"
	if err := b.ReleaseAlert(ctx, k); err != nil {
		t.Fatalf("release before any claim: %v", err)
	}
	ok1, err1 := a.ClaimAlert(ctx, k, "a", time.Hour)
	ok2, err2 := b.ClaimAlert(ctx, k, "b", time.Hour)
	if err1 != nil || err2 != nil || !ok1 || ok2 {
		t.Fatalf("claims: a=%v,%v b=%v,%v; want exactly a", ok1, err1, ok2, err2)
	}
	if ok, err := a.ClaimAlert(ctx, k, "a", time.Hour); !ok || err != nil {
		t.Fatalf("the holder could not extend its claim: %v", err)
	}
	if err := a.ReleaseAlert(ctx, k); err != nil {
		t.Fatal(err)
	}
	if ok, _ := b.ClaimAlert(ctx, k, "b", time.Millisecond); !ok {
		t.Fatal("a released key could not be claimed")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		ok, err := a.ClaimAlert(ctx, k, "a", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the expired claim was never free")
		}
		time.Sleep(10 * time.Millisecond) // polling the expiry, not timing a result
	}
}
