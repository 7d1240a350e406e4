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
// On the browser path (issue 15, `"mode": "browser"`) chunks name a motion file instead of a sheet,
// {motion, audio, n, caption, sentence_n}, and idle is {motion, n}: ui/avatar_render.js renders the
// frames here, batch by batch; each batch becomes a part played exactly like a server chunk (its
// slice of the WAV, sample-exact), and speed = the renderer's measured frames/s / fps.
// `chunks` is the whole reply so far (updates may be coalesced by the browser; nothing is lost).
// A browser-path reply's first feed names its `stream` (ui/reply_stream.py) and has no chunks: the
// player reads that Server-Sent-Events URL, which sends the reply's feed again with every new part
// (off Gradio's queue: issue 15), then an `end` event.
// A chunk with a caption starts a sentence (sentence_n = its frames). When the server renders
// slower than real time (speed < 1), or once a chunk came too late (a stall), the player starts
// (or resumes) a sentence only when enough of it is there to play through while the rest renders:
// buffered >= remaining / (1 + speed) (the remaining frames render in remaining - buffered over
// speed, while the buffered ones play), with a 20 % margin. A slow machine then pauses between
// sentences, where people pause too, not inside words.
// window.__avatar.stages[id] exposes what was played (and `feed`, the newest feed), for tests and the latency bench.
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
  // A motion file: float32 rows of `cols` numbers (little-endian, as every browser's typed arrays).
  const loadRows = (url, cols, n) => fetchOk(url).then((r) => r.arrayBuffer()).then((b) => {
    const rows = new Float32Array(b);
    if (rows.length % cols || rows.length / cols < n) throw new Error(`${url}: not ${n} rows of ${cols} floats`);
    return rows;
  });
  // Samples [round(s * rate / fps), round(e * rate / fps)) of a decoded WAV: the part of frames [s, e).
  const sliceAudio = (buf, s, e, fps, last) => {
    const a0 = Math.round(s * buf.sampleRate / fps);
    const a1 = last ? buf.length : Math.min(buf.length, Math.round(e * buf.sampleRate / fps));
    const out = audio.createBuffer(buf.numberOfChannels, Math.max(1, a1 - a0), buf.sampleRate);
    for (let ch = 0; ch < buf.numberOfChannels; ch++) out.copyToChannel(buf.getChannelData(ch).subarray(a0, a1), ch);
    return out;
  };
  const closeFrames = (src) => { if (src && src.frames) src.frames.forEach((f) => f.close()); };
  const DRIFT_SAMPLES = 2000; // per reply, for tests and bench/bench_browser.py
  // Idle loops rendered in the page, kept per motion file: 3 of them (~75 frames of 256 KB each)
  // bound the memory on a school laptop; an emotion dropped is rendered again in ~2 s.
  const IDLE_CACHE = 3;

  class Player {
    constructor(id) {
      this.id = id;
      this.reply = null;
      this.idle = null; // {key (its sheet or motion URL), src (see draw), n, fps}
      this.idleStart = now();
      this.stats = { state: "idle", replies: [] };
      state.stages[id] = this.stats;
      this.tick = this.tick.bind(this);
      requestAnimationFrame(this.tick);
    }

    feed(data) {
      // The newest feed of the stage, from the DOM or the reply's stream (tests read it).
      const last = this.stats.feed;
      if (!(last && last.reply && last.reply === data.reply && data.chunks.length < last.chunks.length)) this.stats.feed = data;
      this.showPath(data.mode);
      if (data.idle) this.feedIdle(data);
      if (!data.reply) { this.stop(); return; }
      if (!this.reply || this.reply.id !== data.reply) this.start(data);
      const r = this.reply;
      r.done = data.done;
      r.speed = r.renderer ? r.renderer.fps / r.fps : data.speed;
      for (; r.fed < data.chunks.length; r.fed++) {
        const c = data.chunks[r.fed];
        if (c.motion && r.renderer) { this.feedMotion(r, c); continue; }
        const item = { c, src: null, buf: null, failed: false, ready: false };
        r.items.push(item);
        // (a motion chunk without a renderer, which the server sends only when the page asked, fails here)
        Promise.all([loadSheet(c.sheet), c.audio && r.withAudio ? loadAudio(c.audio) : null]).then(([bmp, buf]) => {
          Object.assign(item, { src: { bmp, cols: r.cols, size: r.size }, buf, ready: true });
          this.pump(r);
        }, (err) => { console.warn("avatar chunk:", err); item.failed = true; item.ready = true; this.pump(r); });
      }
      this.pump(r); // `done` may have completed the last sentence
    }

    // The small text under the avatar: which path drew what plays now (ui/avatar_render.js).
    showPath(mode) {
      const el = document.querySelector(`#${CSS.escape(this.id)} .avatar-path`);
      if (!el || !state.describe) return;
      el.dataset.feed = mode || "server";
      el.textContent = state.describe(mode);
    }

    feedIdle(data) {
      const key = data.idle.motion || data.idle.sheet;
      if (this.idle && this.idle.key === key) return;
      if (data.idle.motion && !(state.render && state.render.renderer)) return;
      const n = data.idle.n;
      const frames = data.idle.motion ? this.idleFrames(key, n) : loadSheet(key).then((bmp) => (
        { bmp, cols: data.cols, size: data.size }));
      frames.then((src) => {
        if (this.idle && this.idle.key === key) return;
        this.idle = { key, src, n, fps: data.fps };
        this.idleStart = now();
      }, (err) => console.warn("avatar idle loop:", err));
    }

    // An idle loop's frames, rendered once per motion file (behind any reply's batches) and cached.
    idleFrames(url, n) {
      const cache = (this.idleCache ||= new Map());
      if (!cache.has(url)) {
        const renderer = state.render.renderer;
        cache.set(url, loadRows(url, renderer.cols, n).then((rows) => renderer.render(rows, 0, n, 1))
          .then((frames) => ({ frames })));
        for (const [old, src] of cache) {
          if (cache.size <= IDLE_CACHE) break;
          if (this.idle && this.idle.key === old) continue; // playing now
          cache.delete(old);
          src.then(closeFrames, () => {});
        }
      }
      return cache.get(url);
    }

    // A motion chunk becomes one part per render batch, each ready once its frames are drawn.
    feedMotion(r, c) {
      const renderer = r.renderer;
      const alive = () => r === this.reply;
      const rows = loadRows(c.motion, renderer.cols, c.n);
      const buf = c.audio && r.withAudio ? loadAudio(c.audio) : Promise.resolve(null);
      for (let s = 0; s < c.n; s += renderer.batch) {
        const e = Math.min(c.n, s + renderer.batch);
        const part = { n: e - s, caption: s ? "" : c.caption, sentence_n: s ? 0 : c.sentence_n };
        const item = { c: part, src: null, buf: null, failed: false, ready: false };
        r.items.push(item);
        Promise.all([rows.then((x) => renderer.render(x, s, e, 0, alive)),
                     buf.then((b) => b && sliceAudio(b, s, e, r.fps, e === c.n))]).then(([frames, part]) => {
          if (!alive()) { frames.forEach((f) => f.close()); return; }
          Object.assign(item, { src: { frames }, buf: part, ready: true });
          if (r.stat.first_batch_ms === null) r.stat.first_batch_ms = performance.now(); // bench_load reads it
          this.pump(r);
        }, (err) => {
          if (!alive()) return;
          console.warn("avatar motion chunk:", err);
          item.failed = true;
          item.ready = true;
          this.pump(r);
        });
      }
    }

    start(data) {
      this.stop();
      const a = audioContext();
      const withAudio = !!a && a.state === "running";
      // Browser-path replies are drawn by the page's renderer (ready: the server sends them only then).
      const renderer = data.mode === "browser" && state.render ? state.render.renderer : null;
      const speed = renderer ? renderer.fps / data.fps : data.speed;
      this.reply = {
        id: data.reply, fps: data.fps, size: data.size, cols: data.cols, items: [], fed: 0, next: 0, segments: [],
        renderer, played: 0,
        done: false, withAudio, sources: [], whole: speed < 1, speed, sentenceN: 0, sentenceAt: 0, anchor: 0, audioAnchor: 0, frames: 0, samples: 0,
        stat: { id: data.reply, fed_ms: performance.now(), first_frame_ms: null, end_ms: null, chunks: 0,
                frames: 0, stalls: 0, stall_s: 0, sentence_pauses: 0, audio: withAudio,
                mode: renderer ? "browser" : "server", drift_ms: [], first_batch_ms: null },
      };
      this.stats.replies.push(this.reply.stat);
      if (data.stream) this.listen(this.reply, data.stream);
    }

    // The reply's stream: each message is its whole feed so far; closed at `done`, `end` or a newer reply.
    listen(r, url) {
      const events = new EventSource(url);
      r.events = events;
      events.onmessage = (e) => {
        if (r !== this.reply) { events.close(); return; }
        let data;
        try { data = JSON.parse(e.data); } catch (err) { console.warn("avatar stream:", err); return; }
        this.feed(data);
        if (data.done) events.close();
      };
      events.addEventListener("end", () => events.close());
      events.onerror = () => { if (events.readyState === EventSource.CLOSED) console.warn("avatar stream closed:", url); };
    }

    stop() {
      const r = this.reply;
      if (!r) return;
      if (r.events) r.events.close();
      r.sources.forEach((s) => { try { s.stop(); } catch (e) { /* already ended */ } });
      r.items.forEach((item) => closeFrames(item.src));
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
          if (r.withAudio) this.anchorAudio(r);
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
        r.segments.push({ start, end: start + item.c.n / r.fps, n: item.c.n, src: item.src, caption });
        r.frames += item.c.n;
        r.stat.chunks += 1;
      }
    }

    // The audio clock time that is HEARD at r.anchor (performance clock), from the output's own
    // timestamp: currentTime runs ahead of the speaker by the output latency, and scheduling at
    // currentTime + LEAD_S measured 45-78 ms of late sound in headless Chromium. When that time has
    // already been rendered, picture and sound both start a little later instead.
    anchorAudio(r) {
      const ts = audio.getOutputTimestamp ? audio.getOutputTimestamp() : null;
      if (!ts || !ts.contextTime) { r.audioAnchor = audio.currentTime + LEAD_S + (audio.outputLatency || 0); return; }
      let x = ts.contextTime + r.anchor - ts.performanceTime / 1000;
      const earliest = audio.currentTime + 0.01;
      if (x < earliest) { r.anchor += earliest - x; x = earliest; }
      r.audioAnchor = x;
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

    // Frame `index` of a source: a server frame sheet {bmp, cols, size} or rendered {frames}.
    draw(ctx, canvas, src, index) {
      if (src.frames) { ctx.drawImage(src.frames[index], 0, 0, canvas.width, canvas.height); return; }
      const x = (index % src.cols) * src.size;
      const y = Math.floor(index / src.cols) * src.size;
      ctx.drawImage(src.bmp, x, y, src.size, src.size, 0, 0, canvas.width, canvas.height);
    }

    // Drawn picture minus heard sound (ms): the frame's time since the anchor against the audio
    // clock's audible position since the same anchor (getOutputTimestamp counts output latency).
    drift(r, t) {
      if (!r.withAudio || !audio.getOutputTimestamp || r.stat.drift_ms.length >= DRIFT_SAMPLES) return;
      const ts = audio.getOutputTimestamp();
      if (!ts.contextTime) return;
      const heard = ts.contextTime + (performance.now() - ts.performanceTime) / 1000 - r.audioAnchor;
      const shown = (Math.floor((t - r.anchor) * r.fps) + 0.5) / r.fps;
      if (heard > 0) r.stat.drift_ms.push(Math.round((shown - heard) * 1000 * 10) / 10);
    }

    // Frames of the parts played over a second ago are freed (replies are not replayed from here).
    release(r, t) {
      while (r.played < r.segments.length - 1 && r.segments[r.played].end < t - 1) {
        if (r.renderer) closeFrames(r.segments[r.played].src);
        r.played++;
      }
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
          this.draw(ctx, canvas, seg.src, i);
          this.drift(r, t);
          this.release(r, t);
          text = seg.caption;
          if (r.stat.first_frame_ms === null) r.stat.first_frame_ms = performance.now();
          r.stat.frames += 1;
          this.stats.state = "speaking";
        } else if (t >= last.end && r.done && r.next >= r.items.length) {
          this.stop(); // the reply has ended: back to the idle loop
        } else { // waiting for the next chunk: hold the last frame, keep the caption
          this.draw(ctx, canvas, last.src, last.n - 1);
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
      // t was read before stop() above may have restarted the loop at now() > t: clamp, or frame -1.
      const k = Math.max(0, Math.floor((t - this.idleStart) * idle.fps)) % Math.max(1, 2 * idle.n - 2);
      const i = k < idle.n ? k : 2 * idle.n - 2 - k; // forward then backward: no jump at the loop
      this.draw(ctx, canvas, idle.src, i);
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
