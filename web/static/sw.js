// Roster's service worker: shows the web notifications the server pushes
// ({"title", "body", "alert"}) and opens Roster when one is clicked.
self.addEventListener('push', function (e) {
  var d = {};
  try { d = e.data ? e.data.json() : {}; } catch (err) { d = { body: e.data && e.data.text() }; }
  e.waitUntil(self.registration.showNotification(d.title || 'Roster', { body: d.body || '', tag: d.alert || 'roster' }));
});
self.addEventListener('notificationclick', function (e) {
  e.notification.close();
  e.waitUntil(self.clients.openWindow('/'));
});
