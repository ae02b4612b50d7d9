-- Analytics: the figures the data exists for, in schema "analytics".
--
-- Sums are DECIMAL (exact; the Spark design summed floats). event_time is a
-- UTC wall clock (TIMESTAMP), so every bucket is a UTC minute, hour or day.
--
-- Each question is a function over a half-open range [since, until) that
-- filters on event_time before grouping, so the event_time index bounds the
-- scan (reports and dashboards use these), plus views over all time for psql.
-- A WHERE on a view's bucket column cannot use the index: for a range, call
-- the function. The functions are plain (not STRICT) STABLE SQL so that
-- PostgreSQL inlines them and plans the range as an index condition.
-- +goose Up
CREATE SCHEMA analytics;

-- Revenue and purchases per bucket ('minute', 'hour', 'day', or any other
-- date_trunc unit).
-- +goose StatementBegin
CREATE FUNCTION analytics.revenue(bucket text, since timestamp, until timestamp)
RETURNS TABLE (period timestamp, purchases bigint, revenue numeric)
LANGUAGE sql STABLE AS $$
    SELECT date_trunc(bucket, event_time), count(*), sum(price)
    FROM user_activity
    WHERE event_type = 'purchase' AND event_time >= since AND event_time < until
    GROUP BY 1
    ORDER BY 1
$$;
-- +goose StatementEnd

-- Views, purchases and revenue per product; conversion is purchases per
-- view of the product (NULL when it had no views).
-- +goose StatementBegin
CREATE FUNCTION analytics.product_sales(since timestamp, until timestamp)
RETURNS TABLE (product_id integer, views bigint, purchases bigint, revenue numeric, conversion numeric)
LANGUAGE sql STABLE AS $$
    SELECT product_id,
           count(*) FILTER (WHERE event_type = 'view'),
           count(*) FILTER (WHERE event_type = 'purchase'),
           coalesce(sum(price) FILTER (WHERE event_type = 'purchase'), 0),
           round(count(*) FILTER (WHERE event_type = 'purchase')::numeric
                 / nullif(count(*) FILTER (WHERE event_type = 'view'), 0), 4)
    FROM user_activity
    WHERE event_time >= since AND event_time < until
    GROUP BY product_id
    ORDER BY 4 DESC, 1
$$;
-- +goose StatementEnd

-- View-to-purchase conversion per bucket, two ways: purchases per view
-- (events), and the share of sessions with a view that also purchased in the
-- same bucket (events without a session count as events only).
-- +goose StatementBegin
CREATE FUNCTION analytics.conversion(bucket text, since timestamp, until timestamp)
RETURNS TABLE (period timestamp, views bigint, purchases bigint, purchases_per_view numeric,
               viewing_sessions bigint, buying_sessions bigint, session_conversion numeric)
LANGUAGE sql STABLE AS $$
    WITH per_session AS (
        SELECT date_trunc(bucket, event_time) AS period, session_id,
               count(*) FILTER (WHERE event_type = 'view') AS views,
               count(*) FILTER (WHERE event_type = 'purchase') AS purchases
        FROM user_activity
        WHERE event_time >= since AND event_time < until
        GROUP BY 1, 2
    )
    SELECT period,
           sum(views)::bigint,
           sum(purchases)::bigint,
           round(sum(purchases) / nullif(sum(views), 0), 4),
           count(*) FILTER (WHERE session_id IS NOT NULL AND views > 0),
           count(*) FILTER (WHERE session_id IS NOT NULL AND views > 0 AND purchases > 0),
           round(count(*) FILTER (WHERE session_id IS NOT NULL AND views > 0 AND purchases > 0)::numeric
                 / nullif(count(*) FILTER (WHERE session_id IS NOT NULL AND views > 0), 0), 4)
    FROM per_session
    GROUP BY period
    ORDER BY period
$$;
-- +goose StatementEnd

-- Events, distinct active users and distinct sessions per bucket.
-- +goose StatementBegin
CREATE FUNCTION analytics.activity(bucket text, since timestamp, until timestamp)
RETURNS TABLE (period timestamp, events bigint, active_users bigint, sessions bigint)
LANGUAGE sql STABLE AS $$
    SELECT date_trunc(bucket, event_time), count(*), count(DISTINCT user_id), count(DISTINCT session_id)
    FROM user_activity
    WHERE event_time >= since AND event_time < until
    GROUP BY 1
    ORDER BY 1
$$;
-- +goose StatementEnd

-- One line for a whole range (distinct counts cannot be added up from
-- buckets).
-- +goose StatementBegin
CREATE FUNCTION analytics.summary(since timestamp, until timestamp)
RETURNS TABLE (events bigint, views bigint, purchases bigint, revenue numeric,
               active_users bigint, sessions bigint, first_event timestamp, last_event timestamp)
LANGUAGE sql STABLE AS $$
    SELECT count(*),
           count(*) FILTER (WHERE event_type = 'view'),
           count(*) FILTER (WHERE event_type = 'purchase'),
           coalesce(sum(price) FILTER (WHERE event_type = 'purchase'), 0),
           count(DISTINCT user_id), count(DISTINCT session_id),
           min(event_time), max(event_time)
    FROM user_activity
    WHERE event_time >= since AND event_time < until
$$;
-- +goose StatementEnd

CREATE VIEW analytics.revenue_per_minute AS SELECT * FROM analytics.revenue('minute', '-infinity', 'infinity');
CREATE VIEW analytics.revenue_per_hour   AS SELECT * FROM analytics.revenue('hour', '-infinity', 'infinity');
CREATE VIEW analytics.revenue_per_day    AS SELECT * FROM analytics.revenue('day', '-infinity', 'infinity');
CREATE VIEW analytics.product_sales      AS SELECT * FROM analytics.product_sales('-infinity', 'infinity');
CREATE VIEW analytics.conversion_per_hour AS SELECT * FROM analytics.conversion('hour', '-infinity', 'infinity');
CREATE VIEW analytics.conversion_per_day AS SELECT * FROM analytics.conversion('day', '-infinity', 'infinity');
CREATE VIEW analytics.activity_per_hour  AS SELECT * FROM analytics.activity('hour', '-infinity', 'infinity');
CREATE VIEW analytics.activity_per_day   AS SELECT * FROM analytics.activity('day', '-infinity', 'infinity');

-- +goose Down
DROP SCHEMA analytics CASCADE;
