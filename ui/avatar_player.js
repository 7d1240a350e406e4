// The avatar player (ui/avatar.py): draws the tutor on a <canvas> at the size it was rendered and
// plays a reply's chunks back to back as ONE performance while the rest still renders.
//
// Why not <video>: a new mp4 per part made the browser reload its player between parts (the idle
// loop cut in for 0.4-1 s), and Gradio's streamed video (HLS) started ~3 s after the first chunk
// and stalled between 1 s segments on this machine. Here each chunk's speech (a WAV) is scheduled
// on the Web Audio clock right after the previous one, sample-exact, and its frames (one JPEG
// sheet) are drawn against that clock, so sound and picture join without a gap. Between replies
// the idle loop of the reply's emotion plays forward and backward.
//
// Feed: the server writes JSON into `.avatar-data[data-avatar]` inside `#<stage>-feed`:
//   {stage, reply: id|null, done, speed, fps, size, cols, chunks: [{sheet, audio, n, caption}], idle: {sheet, n}|null}
// `chunks` is the whole reply so far (updates may be coalesced by the browser; nothing is lost).
// A chunk with a caption starts a sentence (sentence_n = its frames). When the server renders
// slower than real time (speed < 1), or once a chunk came too late (a stall), the player starts
// (or resumes) a sentence only when enough of it is there to play through while the rest renders:
// buffered >= remaining / (1 + speed) (the remaining frames render in remaining - buffered over
// speed, while the buffered ones play), with a 20 % margin. A slow machine then pauses between
// sentences, where people pause too, not inside words.
// window.__avatar.stages[id] exposes what was played, for tests and the latency bench.
(() => {
  if (window.__avatar) return;
  const LEAD_S = 0.06; // audio is scheduled this far ahead of "now" (Web Audio needs a little lead)
  const now = () => performance.now() / 1000;
  const state = { stages: {}, muted: false };
  window.__avatar = state;
  let audio = null;
  let gain = null;
  const audioContext = () => {
    if (!audio && window.AudioContext) {
      audio = new AudioContext();
      gain = audio.createGain();
      gain.connect(audio.destination);
    }
    return audio;
  };
  // Browsers start audio only after a user gesture; every click or key press tries again.
  const unlock = () => { const a = audioContext(); if (a && a.state === "suspended") a.resume(); };
  ["pointerdown", "keydown"].forEach((t) => document.addEventListener(t, unlock, { capture: true }));

  const fetchOk = (url) => fetch(url).then((r) => { if (!r.ok) throw new Error(`${r.status} ${url}`); return r; });
  const loadSheet = (url) => fetchOk(url).then((r) => r.blob()).then((b) => createImageBitmap(b));
  const loadAudio = (url) => fetchOk(url).then((r) => r.arrayBuffer()).then((b) => audioContext().decodeAudioData(b));

  class Player {
    constructor(id) {
      this.id = id;
      this.reply = null;
      this.idle = null; // {url, bmp, n, fps, size, cols}
      this.idleStart = now();
      this.stats = { state: "idle", replies: [] };
      state.stages[id] = this.stats;
      this.tick = this.tick.bind(this);
      requestAnimationFrame(this.tick);
    }

    feed(data) {
      if (data.idle && (!this.idle || this.idle.url !== data.idle.sheet)) {
        const url = data.idle.sheet;
        loadSheet(url).then((bmp) => {
          this.idle = { url, bmp, n: data.idle.n, fps: data.fps, size: data.size, cols: data.cols };
          this.idleStart = now();
        }, (err) => console.warn("avatar idle loop:", err));
      }
      if (!data.reply) { this.stop(); return; }
      if (!this.reply || this.reply.id !== data.reply) this.start(data);
      const r = this.reply;
      r.done = data.done;
      r.speed = data.speed;
      for (let i = r.items.length; i < data.chunks.length; i++) {
        const c = data.chunks[i];
        const item = { c, bmp: null, buf: null, failed: false, ready: false };
        r.items.push(item);
        Promise.all([loadSheet(c.sheet), c.audio && r.withAudio ? loadAudio(c.audio) : null]).then(([bmp, buf]) => {
          Object.assign(item, { bmp, buf, ready: true });
          this.pump(r);
        }, (err) => { console.warn("avatar chunk:", err); item.failed = true; item.ready = true; this.pump(r); });
      }
      this.pump(r); // `done` may have completed the last sentence
    }

    start(data) {
      this.stop();
      const a = audioContext();
      const withAudio = !!a && a.state === "running";
      this.reply = {
        id: data.reply, fps: data.fps, size: data.size, cols: data.cols, items: [], next: 0, segments: [],
        done: false, withAudio, sources: [], whole: data.speed < 1, speed: data.speed, sentenceN: 0, sentenceAt: 0, anchor: 0, audioAnchor: 0, frames: 0, samples: 0,
        stat: { id: data.reply, fed_ms: performance.now(), first_frame_ms: null, end_ms: null, chunks: 0,
                frames: 0, stalls: 0, stall_s: 0, sentence_pauses: 0, audio: withAudio },
      };
      this.stats.replies.push(this.reply.stat);
    }

    stop() {
      const r = this.reply;
      if (!r) return;
      r.sources.forEach((s) => { try { s.stop(); } catch (e) { /* already ended */ } });
      if (r.stat.end_ms === null) r.stat.end_ms = performance.now();
      this.reply = null;
      this.idleStart = now();
    }

    // Schedule every chunk that is ready, in order: right after the previous one, or - when the
    // next chunk was not rendered in time - as soon as it is (a stall: the last frame holds).
    pump(r) {
      if (r !== this.reply) return;
      while (r.next < r.items.length && r.items[r.next].ready && this.sentenceReady(r, r.next)) {
        const item = r.items[r.next++];
        if (item.c.caption) { r.sentenceN = item.c.sentence_n || item.c.n; r.sentenceAt = 0; }
        r.sentenceAt += item.c.n;
        if (item.failed) continue;
        const t = now();
        const end = r.segments.length ? r.anchor + r.frames / r.fps : null;
        if (end === null || end < t + LEAD_S) { // first chunk, or a stall: start a new anchor
          if (end !== null) {
            r.stat.stalls += 1;
            r.stat.stall_s += t + LEAD_S - end;
            if (item.c.caption) r.stat.sentence_pauses += 1;
            r.whole = true;
          }
          r.anchor = t + LEAD_S;
          r.frames = 0;
          r.samples = 0;
          if (r.withAudio) r.audioAnchor = audio.currentTime + LEAD_S + (audio.outputLatency || 0);
        }
        const start = r.anchor + r.frames / r.fps;
        if (item.buf) {
          const src = audio.createBufferSource();
          src.buffer = item.buf;
          src.connect(gain);
          // Sample-exact: each chunk's WAV holds round(frames * rate / fps) samples of one stream.
          src.start(r.audioAnchor + r.samples / item.buf.sampleRate);
          r.samples += item.buf.length;
          r.sources.push(src);
        }
        const caption = item.c.caption || (r.segments.length ? r.segments[r.segments.length - 1].caption : "");
        r.segments.push({ start, end: start + item.c.n / r.fps, n: item.c.n, bmp: item.bmp, caption });
        r.frames += item.c.n;
        r.stat.chunks += 1;
      }
    }

    // May chunk i start now? Always while streaming, or when it joins on to what still plays;
    // after a gap in whole-sentence mode only once enough of its sentence is buffered.
    sentenceReady(r, i) {
      const playing = r.segments.length && r.anchor + r.frames / r.fps >= now() + LEAD_S;
      if (!r.whole || playing) return true;
      const starts = !!r.items[i].c.caption;
      const total = starts ? (r.items[i].c.sentence_n || 0) : r.sentenceN;
      let buffered = 0;
      for (let j = i; j < r.items.length && r.items[j].ready; j++) {
        if (j > i && r.items[j].c.caption) return true; // the whole sentence is there
        buffered += r.items[j].c.n;
      }
      if (r.done && r.items.every((it) => it.ready)) return true;
      const remaining = Math.max(0, total - (starts ? 0 : r.sentenceAt));
      return total > 0 && buffered >= 1.2 * remaining / (1 + Math.max(0, r.speed));
    }

    draw(ctx, canvas, bmp, index, cols, size) {
      const x = (index % cols) * size;
      const y = Math.floor(index / cols) * size;
      ctx.drawImage(bmp, x, y, size, size, 0, 0, canvas.width, canvas.height);
    }

    tick() {
      requestAnimationFrame(this.tick);
      const stage = document.getElementById(this.id);
      const canvas = stage && stage.querySelector("canvas");
      if (!canvas) return;
      const ctx = canvas.getContext("2d");
      const caption = stage.querySelector(".avatar-caption");
      const t = now();
      const r = this.reply;
      let text = "";
      if (r && r.segments.length && t >= r.segments[0].start) {
        const seg = r.segments.find((s) => t >= s.start && t < s.end);
        const last = r.segments[r.segments.length - 1];
        if (seg) {
          const i = Math.min(seg.n - 1, Math.floor((t - seg.start) * r.fps));
          this.draw(ctx, canvas, seg.bmp, i, r.cols, r.size);
          text = seg.caption;
          if (r.stat.first_frame_ms === null) r.stat.first_frame_ms = performance.now();
          r.stat.frames += 1;
          this.stats.state = "speaking";
        } else if (t >= last.end && r.done && r.next >= r.items.length) {
          this.stop(); // the reply has ended: back to the idle loop
        } else { // waiting for the next chunk: hold the last frame, keep the caption
          this.draw(ctx, canvas, last.bmp, last.n - 1, r.cols, r.size);
          text = last.caption;
          this.stats.state = "waiting";
        }
        if (caption && caption.textContent !== text) caption.textContent = text;
        if (this.reply) return;
      }
      this.stats.state = "idle";
      if (caption && caption.textContent) caption.textContent = "";
      const idle = this.idle;
      if (!idle) return;
      const k = Math.floor((t - this.idleStart) * idle.fps) % Math.max(1, 2 * idle.n - 2);
      const i = k < idle.n ? k : 2 * idle.n - 2 - k; // forward then backward: no jump at the loop
      this.draw(ctx, canvas, idle.bmp, i, idle.cols, idle.size);
    }
  }

  const players = {};
  const seen = new WeakMap();
  const scan = () => {
    document.querySelectorAll(".avatar-data[data-avatar]").forEach((el) => {
      const raw = el.getAttribute("data-avatar");
      if (seen.get(el) === raw) return;
      seen.set(el, raw);
      let data;
      try { data = JSON.parse(raw); } catch (err) { console.warn("avatar feed:", err); return; }
      (players[data.stage] ||= new Player(data.stage)).feed(data);
    });
  };
  new MutationObserver(scan).observe(document.documentElement, { subtree: true, childList: true, attributes: true,
                                                                  attributeFilter: ["data-avatar"] });
  document.addEventListener("DOMContentLoaded", scan);

  // The "Mute" button: sound off and on; the picture goes on.
  state.toggleMute = () => {
    state.muted = !state.muted;
    audioContext();
    if (gain) gain.gain.value = state.muted ? 0 : 1;
    return state.muted;
  };
})();
