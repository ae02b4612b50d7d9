package contracts

import (
	"context"
	"testing"
	"time"
)

// A contract whose COPY cannot proceed (its table locked, as by a long
// migration or a stuck transaction) holds only itself: user_activity keeps
// loading meanwhile, on its own consumer and connections, and the held
// orders load once the lock goes.
func TestASlowContractNeverHoldsAnother(t *testing.T) {
	// A shared pool as small as one contract's workers: were connections
	// shared, the stuck orders workers would hold them all.
	env := startWithOrders(t, map[string]string{"DATABASE_MAX_CONNS": "2", "LOADER_WORKERS": "2"})
	ctx := context.Background()
	lock, err := env.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback(ctx)
	if _, err := lock.Exec(ctx, "LOCK TABLE orders IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	for i := range 4 { // more files than the contract has workers: every orders worker is stuck
		id := "40000000-0000-4000-8000-00000000000" + string(rune('1'+i))
		env.Land("orders-held-"+string(rune('a'+i))+".csv", csvFile(orderColumns, order(orderColumns, id, nil)))
	}
	time.Sleep(time.Second) // the orders workers are now waiting on the lock
	env.Generate(5, 100, nil)
	env.Eventually(30*time.Second, "user_activity loaded while orders is held", func() bool { return env.Rows() == 500 })
	if err := lock.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	env.Eventually(30*time.Second, "the held orders loaded", func() bool {
		return env.Count("SELECT count(*) FROM orders") == 4
	})
}
