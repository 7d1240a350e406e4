// The student's camera, in the page (the server's side is ui/camera.py; the protocol is described there).
// The consent click on "Turn my camera on" returns a token; `window.__camera.set(token)` then opens
// the camera, shows the student their own picture (mirrored, as a mirror would) and posts a small
// JPEG of it every 0.5 s to tutor/frame with that token; the mood each frame gives is written into
// the mood panel (`window.__moodPanel`, set by the panel itself: ui/student.py). `set("")` (the
// click that turns it off, or leaving the page) stops the tracks and removes the picture.
(() => {
  const EVERY_MS = 500; // 2 frames/s: mood changes over seconds (ui/framegate.py)
  const WIDTH = 320; // what the face reader needs; a 320x240 JPEG is ~10-20 KB
  const QUALITY = 0.8;
  let run = null; // the camera now on: {token, stream, timer, inFlight, stopped}

  const slot = () => document.querySelector('#camera-slot');

  function note(text) {
    const p = document.createElement('p');
    p.className = 'camera-note';
    p.setAttribute('role', 'status');
    p.textContent = text;
    slot()?.replaceChildren(p);
  }

  function preview(stream) {
    const box = document.createElement('figure');
    box.id = 'webcam';
    box.className = 'camera-preview';
    const video = document.createElement('video');
    video.muted = true;
    video.autoplay = true;
    video.playsInline = true;
    video.setAttribute('aria-label', 'Your camera: only you see this picture');
    video.srcObject = stream;
    const caption = document.createElement('figcaption');
    caption.textContent = 'Your camera';
    box.append(video, caption);
    slot()?.replaceChildren(box);
    return video;
  }

  async function start(token) {
    stop();
    const mine = { token, stream: null, timer: null, inFlight: false, stopped: false };
    run = mine;
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 }, audio: false });
    } catch (err) {
      if (run === mine) {
        run = null;
        note(`The browser did not let the tutor use your camera (${err.name}). The tutor works without it.`);
      }
      return;
    }
    if (mine.stopped) {
      stream.getTracks().forEach((t) => t.stop());
      return;
    }
    mine.stream = stream;
    const video = preview(stream);
    const canvas = document.createElement('canvas');
    mine.timer = setInterval(() => send(mine, video, canvas), EVERY_MS);
  }

  // One frame, unless the previous one is still on its way (a busy server gets fewer frames, never a queue).
  function send(mine, video, canvas) {
    if (mine.stopped || mine.inFlight || video.readyState < 2 || !video.videoWidth) return;
    mine.inFlight = true;
    canvas.width = WIDTH;
    canvas.height = Math.round((WIDTH * video.videoHeight) / video.videoWidth);
    canvas.getContext('2d').drawImage(video, 0, 0, canvas.width, canvas.height);
    canvas.toBlob(async (blob) => {
      try {
        if (!blob || mine.stopped) return;
        const r = await fetch('tutor/frame', {
          method: 'POST',
          headers: { 'Content-Type': 'image/jpeg', 'X-Camera-Token': mine.token },
          body: blob,
          cache: 'no-store',
        });
        if (r.status === 403 && run === mine) {
          stop(); // the server no longer knows this camera (e.g. it restarted)
          note('The camera stopped. Turn it off and on again to go on.');
          return;
        }
        if (!r.ok) return; // too fast or a broken frame: the next one will do
        const data = await r.json();
        if (data.analysed && !mine.stopped && window.__moodPanel) window.__moodPanel(data.mood || '');
      } catch (err) {
        // the network hiccuped: the next frame will do
      } finally {
        mine.inFlight = false;
      }
    }, 'image/jpeg', QUALITY);
  }

  function stop() {
    const mine = run;
    run = null;
    if (mine) {
      mine.stopped = true;
      clearInterval(mine.timer);
      if (mine.stream) mine.stream.getTracks().forEach((t) => t.stop());
    }
    document.querySelectorAll('#webcam video').forEach((v) => { v.srcObject = null; });
    slot()?.replaceChildren();
  }

  window.addEventListener('pagehide', stop);
  window.__camera = { set: (token) => (token ? start(token) : stop()) };
})();
