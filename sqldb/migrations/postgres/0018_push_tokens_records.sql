-- Push tokens live only as records (user_push_tokens, migration 0012):
-- the users table's push_tokens JSON goes. Any token it holds that the
-- records lack (written by a version that kept both) is carried over
-- first, as 0012 did: ios is APNs, web is Web Push, anything else FCM.
INSERT INTO user_push_tokens (user_id, provider, token, created_at)
SELECT u.id,
       CASE lower(coalesce(j.value ->> 'platform', ''))
            WHEN 'ios' THEN 'apns' WHEN 'apns' THEN 'apns'
            WHEN 'web' THEN 'webpush' WHEN 'webpush' THEN 'webpush'
            ELSE 'fcm' END,
       j.value ->> 'token', u.created_at
FROM users u, jsonb_array_elements(CASE WHEN jsonb_typeof(u.push_tokens) = 'array' THEN u.push_tokens ELSE '[]'::jsonb END) j
WHERE coalesce(j.value ->> 'token', '') <> ''
ON CONFLICT DO NOTHING;

ALTER TABLE users DROP COLUMN push_tokens;
