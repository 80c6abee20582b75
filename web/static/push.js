// Web notifications: subscribe this browser with the server's VAPID key
// (the Push API), then post the subscription with the alerts chosen.
(function () {
  'use strict';
  var box = document.getElementById('push');
  var form = document.getElementById('push-form');
  var status = document.getElementById('push-status');
  if (!box || !form) return;
  if (!('serviceWorker' in navigator) || !('PushManager' in window)) {
    status.textContent = 'This browser cannot show web notifications.';
    form.querySelector('button').disabled = true;
    return;
  }
  function key(b64) {
    var s = (b64 + '===='.slice((b64.length + 3) % 4)).replace(/-/g, '+').replace(/_/g, '/');
    return Uint8Array.from(atob(s), function (c) { return c.charCodeAt(0); });
  }
  function b64(buf) {
    return btoa(String.fromCharCode.apply(null, new Uint8Array(buf))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  form.addEventListener('submit', function (e) {
    if (form.elements.endpoint.value) return;
    e.preventDefault();
    status.textContent = 'Asking this browser…';
    Notification.requestPermission().then(function (perm) {
      if (perm !== 'granted') throw new Error('Notifications are blocked for this site in the browser settings.');
      return navigator.serviceWorker.register('/static/sw.js', { scope: '/static/' });
    }).then(function (reg) {
      return navigator.serviceWorker.ready.then(function () {
        return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key(box.dataset.vapidKey) });
      });
    }).then(function (sub) {
      form.elements.endpoint.value = sub.endpoint;
      form.elements.p256dh.value = b64(sub.getKey('p256dh'));
      form.elements.auth.value = b64(sub.getKey('auth'));
      form.submit();
    }).catch(function (err) {
      status.textContent = 'Could not subscribe: ' + err.message;
    });
  });
})();
