-- migrate:up
-- The delivery log says failures in notify's own words (notify.handlers.notifications.describe);
-- errors kept before could quote what a receiver answered (a body, an SMTP reply, a banner).
UPDATE notifications SET last_error = 'delivery failed'
 WHERE last_error IS NOT NULL
   AND last_error !~ '^(HTTP [0-9]{3}|SMTP [0-9]{3}|timeout|connection refused|host does not resolve)$'
   AND last_error NOT LIKE 'no contact for this case%';

-- migrate:down
-- What was said before cannot come back, and need not.
