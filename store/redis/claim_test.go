package redis

import (
	"context"
	"testing"
	"time"
)

// Of two instances claiming one key, one wins; the key frees after its
// TTL.
func TestClaim(t *testing.T) {
	srv := startRedis(t)
	ctx := context.Background()
	a, b := newInstance(t, srv, time.Second).store, newInstance(t, srv, time.Second).store
	ok1, err1 := a.Claim(ctx, "ban|/ban/firing", 200*time.Millisecond)
	ok2, err2 := b.Claim(ctx, "ban|/ban/firing", 200*time.Millisecond)
	if err1 != nil || err2 != nil || !ok1 || ok2 {
		t.Fatalf("claims: a=%v,%v b=%v,%v; want exactly a", ok1, err1, ok2, err2)
	}
	if ok, _ := b.Claim(ctx, "blocked|/x/firing", time.Minute); !ok {
		t.Fatal("another key was taken")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		ok, err := b.Claim(ctx, "ban|/ban/firing", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the claim never expired")
		}
		time.Sleep(50 * time.Millisecond) // polling Redis's expiry, not timing a result
	}
}
