package fetch

import (
	"context"
	"sync"
)

type tenantKey struct{}

// ForTenant marks ctx as work for one tenant (Gallerist's organization id):
// a Fetcher lets one tenant hold at most Config.MaxPerTenant of a pool's
// slots, so one organization's slow origins or endpoints cannot take every
// slot from the others. Requests without a tenant are bounded only by the
// pool's size.
func ForTenant(ctx context.Context, tenant int64) context.Context {
	return context.WithValue(ctx, tenantKey{}, tenant)
}

func tenantOf(ctx context.Context) (int64, bool) {
	t, ok := ctx.Value(tenantKey{}).(int64)
	return t, ok
}

// pool is a counting semaphore with a per-tenant cap, granted first come
// first served among the waiters that may run: a tenant at its cap waits
// without holding up the waiters of other tenants behind it.
type pool struct {
	mu        sync.Mutex
	size      int
	perTenant int
	used      int
	held      map[int64]int
	queue     []*poolWaiter
}

type poolWaiter struct {
	tenant  int64
	keyed   bool
	ready   chan struct{}
	granted bool
}

func newPool(size, perTenant int) *pool {
	return &pool{size: size, perTenant: min(max(perTenant, 1), size), held: map[int64]int{}}
}

// acquire waits for a slot for ctx's tenant until ctx ends; release gives it back.
func (p *pool) acquire(ctx context.Context) (release func(), err error) {
	tenant, keyed := tenantOf(ctx)
	w := &poolWaiter{tenant: tenant, keyed: keyed, ready: make(chan struct{})}
	p.mu.Lock()
	if p.mayRun(w) {
		p.take(w)
		p.mu.Unlock()
		return p.releaser(w), nil
	}
	p.queue = append(p.queue, w)
	p.mu.Unlock()
	select {
	case <-w.ready:
		return p.releaser(w), nil
	case <-ctx.Done():
		p.mu.Lock()
		if w.granted {
			p.mu.Unlock()
			p.releaser(w)()
		} else {
			for i, q := range p.queue {
				if q == w {
					p.queue = append(p.queue[:i], p.queue[i+1:]...)
					break
				}
			}
			p.mu.Unlock()
		}
		return nil, ctx.Err()
	}
}

func (p *pool) mayRun(w *poolWaiter) bool {
	return p.used < p.size && (!w.keyed || p.held[w.tenant] < p.perTenant)
}

func (p *pool) take(w *poolWaiter) {
	p.used++
	if w.keyed {
		p.held[w.tenant]++
	}
	w.granted = true
}

func (p *pool) releaser(w *poolWaiter) func() {
	return sync.OnceFunc(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.used--
		if w.keyed {
			if p.held[w.tenant]--; p.held[w.tenant] == 0 {
				delete(p.held, w.tenant)
			}
		}
		for i := 0; i < len(p.queue) && p.used < p.size; {
			q := p.queue[i]
			if !p.mayRun(q) {
				i++
				continue
			}
			p.take(q)
			close(q.ready)
			p.queue = append(p.queue[:i], p.queue[i+1:]...)
		}
	})
}

// inUse is how many slots are held.
func (p *pool) inUse() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.used
}
