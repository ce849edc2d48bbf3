package alert

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Failover is the Outbox of instances that share a store (PostgreSQL):
// deliveries go to Shared, which every instance reads and sends from, and
// to Local (the instance's own SQLite) when Shared fails, so that the
// alert about the shared store's outage is still kept and sent. Reads
// take both. A delivery kept in Local has its ID negated, which is how
// UpdateDelivery finds it and how the incident log tells it apart.
type Failover struct {
	Shared, Local Outbox
}

// AddDeliveries implements Outbox.
func (f *Failover) AddDeliveries(ctx context.Context, ds []Delivery) error {
	err := f.Shared.AddDeliveries(ctx, ds)
	if err == nil {
		return nil
	}
	if lerr := f.Local.AddDeliveries(ctx, ds); lerr != nil {
		return errors.Join(err, lerr)
	}
	for i := range ds {
		ds[i].ID = -ds[i].ID
	}
	return nil
}

// DueDeliveries implements Outbox: the local deliveries first (they wait
// on this instance alone), then the shared ones.
func (f *Failover) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]Delivery, error) {
	local, lerr := f.Local.DueDeliveries(ctx, now, limit)
	for i := range local {
		local[i].ID = -local[i].ID
	}
	if len(local) >= limit {
		return local, lerr
	}
	shared, serr := f.Shared.DueDeliveries(ctx, now, limit-len(local))
	if lerr != nil && serr != nil {
		return nil, errors.Join(serr, lerr)
	}
	return append(local, shared...), nil
}

// UpdateDelivery implements Outbox.
func (f *Failover) UpdateDelivery(ctx context.Context, d Delivery) error {
	if d.ID < 0 {
		d.ID = -d.ID
		return f.Local.UpdateDelivery(ctx, d)
	}
	return f.Shared.UpdateDelivery(ctx, d)
}

// Deliveries implements Outbox: both, newest first. While Shared is down
// it lists the local deliveries alone.
func (f *Failover) Deliveries(ctx context.Context, since time.Time, limit int) ([]Delivery, error) {
	shared, serr := f.Shared.Deliveries(ctx, since, limit)
	local, lerr := f.Local.Deliveries(ctx, since, limit)
	if serr != nil && lerr != nil {
		return nil, fmt.Errorf("alert deliveries: %w", errors.Join(serr, lerr))
	}
	for i := range local {
		local[i].ID = -local[i].ID
	}
	all := append(shared, local...)
	slices.SortStableFunc(all, func(a, b Delivery) int { return cmp.Or(b.Created.Compare(a.Created), cmp.Compare(b.ID, a.ID)) })
	return all[:min(len(all), ClampLimit(limit))], nil
}

var _ Outbox = (*Failover)(nil)
