package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/plink-dev/plink/internal/store"
	"github.com/plink-dev/plink/internal/store/storetest"
)

func outboxRow(target string, i int, claim, until string) store.Delivery {
	return store.Delivery{NotificationID: "vpce-nfn-0123456789abcdef0", Account: "111111111111", Event: "Connect",
		VpcEndpointID: fmt.Sprintf("vpce-%017d", i), Target: target, Body: "{}", CreatedAt: "2026-01-01T00:00:00.000Z",
		NextAttemptAt: "2026-01-01T00:00:00.000Z", Claim: claim, ClaimedUntil: until}
}

// TestOutbox: the outbox's claims keep two processes from delivering one
// message, one target's messages are taken in order, the outbox is
// bounded, and none of it moves the revision serve watches.
func TestOutbox(t *testing.T) { storetest.Each(t, testOutbox) }

func testOutbox(t *testing.T, st *store.Store) {
	ctx := context.Background()
	write := func(fn func(tx *store.Tx) error) {
		t.Helper()
		if err := st.Write(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	rev0, _ := st.Revision(ctx)
	const now, later = "2026-01-01T00:00:01.000Z", "2026-01-01T00:01:00.000Z"

	// A command writes two messages to hook a (holding them) and one to b.
	var ids []int64
	write(func(tx *store.Tx) error {
		for i, target := range []string{"http://a", "http://a", "http://b"} {
			id, queued, dropped, err := tx.EnqueueDelivery(outboxRow(target, i, "cmd", later), 10)
			if err != nil || queued || dropped != nil {
				return fmt.Errorf("enqueue %d: queued %v dropped %v err %v", i, queued, dropped, err)
			}
			ids = append(ids, id)
		}
		return nil
	})
	// While the command holds them, nobody else takes them.
	write(func(tx *store.Tx) error {
		ds, err := tx.ClaimDueDeliveries("serve", now, later, 100)
		if len(ds) != 0 {
			t.Errorf("claimed held deliveries: %+v", ds)
		}
		return err
	})
	// The command settles a's first; a's second stays with it, b fails.
	write(func(tx *store.Tx) error {
		if err := tx.DeleteDelivery(ids[0], "serve"); !errors.Is(err, store.ErrNotClaimed) {
			t.Errorf("settled with another's claim: %v", err)
		}
		if err := tx.DeleteDelivery(ids[0], "cmd"); err != nil {
			return err
		}
		if err := tx.RescheduleDelivery(ids[1], "cmd", 0, now, ""); err != nil {
			return err
		}
		return tx.RescheduleDelivery(ids[2], "cmd", 1, later, "refused")
	})
	// A message to c while another process delivers an older one to c
	// (holds it) is not held back: they are concurrent changes.
	write(func(tx *store.Tx) error {
		first, _, _, err := tx.EnqueueDelivery(outboxRow("http://c", 5, "cmd2", later), 10)
		if err != nil {
			return err
		}
		second, queued, _, err := tx.EnqueueDelivery(outboxRow("http://c", 6, "cmd3", later), 10)
		if err != nil {
			return err
		}
		if queued {
			t.Errorf("a message was queued behind one in flight")
		}
		if err := tx.DeleteDelivery(first, "cmd2"); err != nil {
			return err
		}
		return tx.DeleteDelivery(second, "cmd3")
	})
	// Another process's message to a queues behind the pending one.
	write(func(tx *store.Tx) error {
		id, queued, _, err := tx.EnqueueDelivery(outboxRow("http://a", 3, "cmd2", later), 10)
		if !queued {
			t.Errorf("a message behind a pending one to the same target was not queued")
		}
		ids = append(ids, id)
		return err
	})
	// The retrier takes only a's oldest (b is not due yet).
	write(func(tx *store.Tx) error {
		ds, err := tx.ClaimDueDeliveries("serve", now, later, 100)
		if len(ds) != 1 || ds[0].ID != ids[1] || ds[0].Claim != "serve" {
			t.Errorf("claimed %+v, want only %d", ds, ids[1])
		}
		return err
	})
	// Next due: b's retry; a's queued one waits for its head.
	if err := st.Read(ctx, func(tx *store.Tx) error {
		next, err := tx.NextDeliveryDue(now)
		if next != later {
			t.Errorf("next due %q, want %q", next, later)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// A full outbox drops the oldest.
	write(func(tx *store.Tx) error {
		_, _, dropped, err := tx.EnqueueDelivery(outboxRow("http://c", 4, "cmd3", later), 3)
		if len(dropped) != 1 || dropped[0].ID != ids[1] {
			t.Errorf("dropped %+v, want the oldest (%d)", dropped, ids[1])
		}
		return err
	})
	if rev, _ := st.Revision(ctx); rev != rev0 {
		t.Errorf("outbox writes moved the revision %d -> %d", rev0, rev)
	}
}

// TestOutboxRetryInFlightKeepsOrder: a message `plink serve` is retrying
// right now (claimed, attempted before) still holds back a newer message
// to its target: the newer one is queued behind it, not sent past it. A
// first attempt another command is making does not (concurrent changes
// have no order to keep).
func TestOutboxRetryInFlightKeepsOrder(t *testing.T) {
	storetest.Each(t, testOutboxRetryInFlightKeepsOrder)
}

func testOutboxRetryInFlightKeepsOrder(t *testing.T, st *store.Store) {
	ctx := context.Background()
	const later = "2026-01-01T00:01:00.000Z"
	err := st.Write(ctx, func(tx *store.Tx) error {
		retry := outboxRow("http://a", 0, "serve", later)
		retry.Attempts = 1
		first := outboxRow("http://b", 1, "cmd1", later)
		for _, d := range []store.Delivery{retry, first} {
			if _, _, _, err := tx.EnqueueDelivery(d, 10); err != nil {
				return err
			}
		}
		if _, queued, _, err := tx.EnqueueDelivery(outboxRow("http://a", 2, "cmd2", later), 10); err != nil || !queued {
			t.Errorf("a message to a target whose older message is being retried: queued %v, err %v; want queued", queued, err)
		}
		if _, queued, _, err := tx.EnqueueDelivery(outboxRow("http://b", 3, "cmd2", later), 10); err != nil || queued {
			t.Errorf("a message to a target another command is trying for the first time: queued %v, err %v; want sent", queued, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
