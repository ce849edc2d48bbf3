package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestLiveBlockRedrawsInPlaceOnATerminal(t *testing.T) {
	var b bytes.Buffer
	l := &liveBlock{w: &b, tty: true}
	sum := "traffic 2s: attackers stopped 1 of 2\nactor ips\nusers 6\n"
	l.show("", sum)
	if strings.Contains(b.String(), "\x1b[") {
		t.Fatalf("first block moved the cursor: %q", b.String())
	}
	b.Reset()
	l.show("mail → ops@demo.local: [FIRING] Warden: clients banned\n", sum)
	got := b.String()
	// Up over the 4 lines drawn (the blank line and the 3 of the
	// summary), clear, then the mail above the new block.
	if !strings.HasPrefix(got, "\x1b[4A\x1b[J") {
		t.Errorf("redraw starts %q, want the cursor moved up 4 lines and the rest cleared", got)
	}
	if m, s := strings.Index(got, "mail →"), strings.Index(got, "traffic 2s"); m < 0 || s < 0 || m > s {
		t.Errorf("the mail is not printed above the block: %q", got)
	}
}

func TestLiveBlockAppendsElsewhere(t *testing.T) {
	var b bytes.Buffer
	l := &liveBlock{w: &b}
	l.show("", "traffic 2s: a\n")
	l.show("mail → x\n", "traffic 4s: b\n")
	got := b.String()
	if strings.Contains(got, "\x1b") {
		t.Errorf("control bytes written to a pipe: %q", got)
	}
	if !strings.Contains(got, "traffic 2s: a") || !strings.Contains(got, "traffic 4s: b") || !strings.Contains(got, "mail → x") {
		t.Errorf("output %q lacks a block or the mail", got)
	}
}
