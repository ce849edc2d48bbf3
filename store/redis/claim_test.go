package redis

import (
	"context"
	"testing"
	"time"
)

// Of two instances claiming one key, one wins and keeps it (extending
// it); the other gets it once it is released or expired.
func TestClaim(t *testing.T) {
	srv := startRedis(t)
	ctx := context.Background()
	a, b := newInstance(t, srv, time.Second).store, newInstance(t, srv, time.Second).store
	const k = "ban||ban|firing"
	ok1, err1 := a.ClaimAlert(ctx, k, "a", 200*time.Millisecond)
	ok2, err2 := b.ClaimAlert(ctx, k, "b", 200*time.Millisecond)
	if err1 != nil || err2 != nil || !ok1 || ok2 {
		t.Fatalf("claims: a=%v,%v b=%v,%v; want exactly a", ok1, err1, ok2, err2)
	}
	if ok, _ := a.ClaimAlert(ctx, k, "a", time.Minute); !ok {
		t.Fatal("the holder could not extend its claim")
	}
	if ok, _ := b.ClaimAlert(ctx, "blocked|/x|block|firing", "b", time.Minute); !ok {
		t.Fatal("another key was taken")
	}
	if err := b.ReleaseAlert(ctx, k); err != nil {
		t.Fatal(err)
	}
	if ok, _ := b.ClaimAlert(ctx, k, "b", 100*time.Millisecond); !ok {
		t.Fatal("a released key could not be claimed")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		ok, err := a.ClaimAlert(ctx, k, "a", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the claim never expired")
		}
		time.Sleep(20 * time.Millisecond) // polling Redis's expiry, not timing a result
	}
}
