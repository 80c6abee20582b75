-- Push tokens live only as records (user_push_tokens, migration 0012):
-- the users table's push_tokens JSON goes. Any token it holds that the
-- records lack (written by a version that kept both) is carried over
-- first, as 0012 did: ios is APNs, web is Web Push, anything else FCM.
INSERT INTO user_push_tokens (user_id, provider, token, created_at)
SELECT u.id,
       CASE lower(coalesce(json_extract(j.value, '$.platform'), ''))
            WHEN 'ios' THEN 'apns' WHEN 'apns' THEN 'apns'
            WHEN 'web' THEN 'webpush' WHEN 'webpush' THEN 'webpush'
            ELSE 'fcm' END,
       json_extract(j.value, '$.token'), u.created_at
FROM users u, json_each(u.push_tokens) j
WHERE json_valid(u.push_tokens) AND json_type(u.push_tokens) = 'array'
  AND coalesce(json_extract(j.value, '$.token'), '') <> ''
ON CONFLICT DO NOTHING;

ALTER TABLE users DROP COLUMN push_tokens;
