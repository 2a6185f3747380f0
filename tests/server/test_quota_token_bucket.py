"""The controller mutation quota's token bucket, as Kafka's TokenBucket stat measures it."""

from odradek.server.quotas.rate import TokenBucket


def test_a_fresh_bucket_holds_the_burst_and_refills_at_the_quota():
    bucket = TokenBucket(num_samples=3, window_ms=1000)  # burst: 2 windows' worth
    assert bucket.measure(5.0, now_ms=10_000) == 10.0
    bucket.record(15, 5.0, now_ms=10_000)
    assert bucket.tokens == -5.0
    assert TokenBucket.throttle_ms(bucket.tokens, 5.0) == 1000  # 5 tokens at 5 a second
    assert bucket.measure(5.0, now_ms=10_400) == -3.0
    assert bucket.measure(5.0, now_ms=20_000) == 10.0  # never more than the burst


def test_no_throttle_while_the_bucket_is_not_below_zero():
    assert TokenBucket.throttle_ms(0.0, 2.0) == 0
    assert TokenBucket.throttle_ms(3.0, 2.0) == 0
    assert TokenBucket.throttle_ms(-1.0, 2.0) == 500
