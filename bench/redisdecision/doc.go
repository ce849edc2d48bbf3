// Package redisdecision holds BenchmarkRedisDecision: one shared GCRA
// decision on redis-server, Warden's store/redis against
// github.com/go-redis/redis_rate/v10. It lives in the bench module so that
// redis_rate, a peer measured only here, stays out of Warden's module graph.
//
//	cd bench && go test ./redisdecision -run '^$' -bench RedisDecision -benchmem -count 6
package redisdecision
