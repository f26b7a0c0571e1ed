/*
** audio.c: hardware.fixedfrequencydac, hardware.sampler, hardware.dfsdm
** and imp004m's hardware.pwmpairKD, where the board has them (AUDIO-001,
** AUDIO-002, AUDIO-007, HW-027). Each is a queue of blobs played or
** filled on device time:
** - the DAC plays its buffers in order at the sample rate; each one played
**   is reported to the jig (DacOutput) and handed to the callback
**   (AUDIO-010, AUDIO-011); it stops when the queue runs dry;
** - the sampler fills each buffer with the jig's voltages on its pins,
**   16-bit samples with the top 12 bits used (or, with A_LAW_COMPRESS,
**   one G.711 A-law byte each, AUDIO-014), interleaved, and calls
**   callback(buffer, length) when one is full (AUDIO-006);
** - the dfsdm turns the jig's PDM bit stream (pins S and R) into 16-bit
**   signed samples (AUDIO-004), with a first-order filter whatever the
**   filter order (docs/refimp.md).
** Nothing here depends on the network (AUDIO-013, REG-045).
*/
#include "api/api_int.h"

#include <string.h>

#include "core/rf.h"

#define RATE_MAX 100000.0f   /* samples a second */
#define DAC_A_LAW 0x01
#define SAMPLER_A_LAW 0x01 /* A_LAW_COMPRESS (constants.md) */
#define DAC_AUDIO 0x02
#define MAX_BUFFERS_PER_STEP 64

static const char dac_tag, sampler_tag, dfsdm_tag, pair_tag;

/* ---- the buffer queue shared by the three ----------------------------- */

/* Empty the queue and forget the callback. */
static void stream_reset(struct api *a, struct api_stream *s) {
  for (size_t i = 0; i < s->nbuffers; i++)
    sq_unref(a->vm, s->buffers[i]);
  s->nbuffers = 0;
  api_clearref(a, &s->callback);
  s->configured = s->running = false;
}

/* Append the blob at idx; false (after an error) when it is not a
** usable buffer or the queue is full. multiple: required length factor. */
static bool stream_add(sq_vm *vm, struct api *a, struct api_stream *s,
                       int idx, size_t multiple, const char *fn) {
  uint8_t *d;
  size_t n;
  if (sq_getblob(vm, idx, &d, &n) < 0) {
    sq_error(vm, "%s: a buffer must be a blob", fn);
    return false;
  }
  if (n == 0 || n % multiple) {
    sq_error(vm, "%s: a buffer of %u bytes is not a non-zero multiple of "
                 "%u", fn, (unsigned)n, (unsigned)multiple);
    return false;
  }
  if (s->nbuffers == API_AUDIO_BUFFERS) {
    sq_error(vm, "%s: at most %d buffers", fn, API_AUDIO_BUFFERS);
    return false;
  }
  int r = sq_ref(vm, idx);
  if (r < 0) {
    sq_error(vm, "%s: out of memory", fn);
    return false;
  }
  (void)a;
  s->buffers[s->nbuffers++] = r;
  return true;
}

/* Check the buffers array at idx (null: none) before anything changes:
** at most 8 blobs, each a non-zero multiple of `multiple` bytes. */
static bool check_buffers(sq_vm *vm, int idx, size_t multiple,
                          const char *fn) {
  enum sq_type t = sq_gettype(vm, idx);
  if (t == SQ_TNULL)
    return true;
  if (t != SQ_TARRAY) {
    sq_error(vm, "%s: buffers must be an array of blobs", fn);
    return false;
  }
  int32_t n = sq_len(vm, idx);
  if (n > API_AUDIO_BUFFERS) {
    sq_error(vm, "%s: %d buffers: at most %d", fn, (int)n,
             API_AUDIO_BUFFERS);
    return false;
  }
  for (int32_t i = 0; i < n; i++) {
    uint8_t *d;
    size_t len;
    sq_arrayget(vm, idx, i);
    bool ok = sq_getblob(vm, -1, &d, &len) == 0;
    sq_pop(vm, 1);
    if (!ok) {
      sq_error(vm, "%s: buffer %d is not a blob", fn, (int)i);
      return false;
    }
    if (len == 0 || len % multiple) {
      sq_error(vm, "%s: buffer %d has %u bytes, not a non-zero multiple "
                   "of %u", fn, (int)i, (unsigned)len, (unsigned)multiple);
      return false;
    }
  }
  return true;
}

/* Take the (checked) buffers array at idx into the queue. */
static bool take_buffers(sq_vm *vm, struct api *a, struct api_stream *s,
                         int idx, size_t multiple, const char *fn) {
  if (sq_gettype(vm, idx) == SQ_TNULL)
    return true;
  int32_t n = sq_len(vm, idx);
  int abs = idx < 0 ? sq_gettop(vm) + idx + 1 : idx;
  for (int32_t i = 0; i < n; i++) {
    sq_arrayget(vm, abs, i);
    bool ok = stream_add(vm, a, s, -1, multiple, fn);
    sq_pop(vm, 1);
    if (!ok)
      return false;
  }
  return true;
}

static bool check_callback(sq_vm *vm, int idx, const char *fn) {
  enum sq_type t = sq_gettype(vm, idx);
  if (t != SQ_TCLOSURE && t != SQ_TNATIVE) {
    sq_error(vm, "%s: the callback must be a function", fn);
    return false;
  }
  return true;
}

static bool check_rate(sq_vm *vm, int idx, float *rate, const char *fn) {
  if (sq_checkfloat(vm, idx, rate) < 0)
    return false;
  if (!(*rate > 0 && *rate <= RATE_MAX)) {
    sq_error(vm, "%s: sample rate %g Hz is outside 0 to %g", fn,
             (double)*rate, (double)RATE_MAX);
    return false;
  }
  return true;
}

/* The bytes of the first queued buffer. */
static uint8_t *head(struct api *a, struct api_stream *s, size_t *n) {
  uint8_t *d = NULL;
  sq_pushref(a->vm, s->buffers[0]);
  if (sq_getblob(a->vm, -1, &d, n) < 0)
    *n = 0;
  sq_pop(a->vm, 1);
  return d;
}

/* Queue callback(buffer[, length]) for the head buffer. */
static void call_back(struct api *a, struct api_stream *s, bool with_len,
                      size_t len) {
  if (s->callback < 0)
    return;
  sq_pushref(a->vm, s->callback);
  int fn = sq_ref(a->vm, -1);
  sq_pop(a->vm, 1);
  sq_pushref(a->vm, s->buffers[0]);
  int arg = sq_ref(a->vm, -1);
  sq_pop(a->vm, 1);
  struct api_pending p = {.fn = fn, .arg = arg, .has_int2 = with_len,
                          .int_arg2 = (int32_t)len};
  if (fn >= 0)
    api_queue(a, &p);
  else if (arg >= 0)
    sq_unref(a->vm, arg);
}

/* Move the head buffer to the back (the sampler and dfsdm reuse them) or
** drop it (the DAC hands it back). */
static void rotate(struct api *a, struct api_stream *s, bool keep) {
  int h = s->buffers[0];
  memmove(s->buffers, s->buffers + 1, (s->nbuffers - 1) * sizeof(int));
  if (keep)
    s->buffers[s->nbuffers - 1] = h;
  else {
    sq_unref(a->vm, h);
    s->nbuffers--;
  }
}

/* ms that n samples take at rate (at least 1). */
static uint64_t span_ms(size_t n, float rate) {
  uint64_t ms = (uint64_t)((double)n * 1000.0 / (double)rate + 0.5);
  return ms ? ms : 1;
}

/* ---- fixedfrequencydac ---------------------------------------------------- */

static struct api *dac_api(sq_vm *vm) {
  struct api *a = sq_getinstanceup(vm, 1, &dac_tag);
  if (!a)
    sq_error(vm, "fixedfrequencydac: not the DAC object");
  return a;
}

static const char *dac_output_name(const struct api *a) {
  return a->dac.pin < 0 ? "pwmpairKD" : a->pins[a->dac.pin].def->name;
}

/* configure(output, sampleRate, buffers, callback[, flags]): buffers may
** be null or empty (impOS 38: supplied by addbuffer() before start(),
** AUDIO-008, REG-002). */
static int dac_configure(sq_vm *vm) {
  struct api *a = dac_api(vm);
  const char *fn = "fixedfrequencydac.configure";
  float rate;
  int32_t flags = 0;
  int pin = -1;
  if (!a)
    return -1;
  struct api_pin *p = api_pin_at(vm, 2);
  if (p) {
    if (!(p->def->caps & (BOARD_CAP_ANALOG_OUT | BOARD_CAP_PWM)))
      return sq_error(vm, "%s: %s cannot be an audio output", fn,
                      p->def->name);
    pin = (int)(p - a->pins);
  } else if (!((a->board->features & BOARD_HAS_PWMPAIR_KD) &&
               sq_getinstanceup(vm, 2, &pair_tag))) {
    return sq_error(vm, "%s: the output must be a pin%s", fn,
                    a->board->features & BOARD_HAS_PWMPAIR_KD
                        ? " or hardware.pwmpairKD" : "");
  }
  if (!check_rate(vm, 3, &rate, fn) || !check_buffers(vm, 4, 2, fn) ||
      !check_callback(vm, 5, fn) ||
      (sq_gettop(vm) >= 6 && sq_checkint(vm, 6, &flags) < 0))
    return -1;
  if (flags & ~(DAC_A_LAW | DAC_AUDIO))
    return sq_error(vm, "%s: unknown flags 0x%x", fn, (unsigned)flags);
  if (a->dac.s.running)
    return sq_error(vm, "%s: stop() the DAC before configuring it", fn);
  stream_reset(a, &a->dac.s);
  if (!take_buffers(vm, a, &a->dac.s, 4, 2, fn))
    return -1;
  api_setref(a, &a->dac.s.callback, 5);
  a->dac.s.rate = rate;
  a->dac.s.flags = (uint32_t)flags;
  a->dac.pin = pin;
  a->dac.s.configured = true;
  return 0;
}

static uint64_t dac_span(struct api *a) {
  size_t n;
  head(a, &a->dac.s, &n);
  /* A-law packs a sample in a byte, else two bytes a sample */
  return span_ms(a->dac.s.flags & DAC_A_LAW ? n : n / 2, a->dac.s.rate);
}

static int dac_start(sq_vm *vm) {
  struct api *a = dac_api(vm);
  if (!a)
    return -1;
  if (!a->dac.s.configured) /* AUDIO-009 */
    return sq_error(vm, "fixedfrequencydac.start: not configured");
  if (!a->dac.s.nbuffers) /* AUDIO-008 */
    return sq_error(vm, "fixedfrequencydac.start: no buffers (configure() "
                        "them or addbuffer() before start())");
  if (!a->dac.s.running) {
    a->dac.s.running = true;
    a->dac.s.due = api_now(a) + dac_span(a);
  }
  return 0;
}

/* stop([SYNC]): the model plays nothing more after stop(). */
static int dac_stop(sq_vm *vm) {
  struct api *a = dac_api(vm);
  if (!a)
    return -1;
  a->dac.s.running = false;
  return 0;
}

static int dac_addbuffer(sq_vm *vm) {
  struct api *a = dac_api(vm);
  if (!a)
    return -1;
  if (!a->dac.s.configured)
    return sq_error(vm, "fixedfrequencydac.addbuffer: not configured");
  bool was_empty = a->dac.s.nbuffers == 0;
  if (!stream_add(vm, a, &a->dac.s, 2, 2, "fixedfrequencydac.addbuffer"))
    return -1;
  if (a->dac.s.running && was_empty)
    a->dac.s.due = api_now(a) + dac_span(a);
  return 0;
}

/* The head buffer has played: report it, hand it back, go on. */
static void dac_played(struct api *a) {
  size_t n;
  uint8_t *d = head(a, &a->dac.s, &n);
  uint64_t span = dac_span(a);
  struct api_event ev = {.kind = API_EV_DAC, .bus = dac_output_name(a),
                         .data = d, .len = n, .rate = a->dac.s.rate,
                         .at_ms = a->dac.s.due - span};
  api_observe(a, &ev);
  call_back(a, &a->dac.s, false, 0);
  rotate(a, &a->dac.s, false);
  if (!a->dac.s.nbuffers)
    a->dac.s.running = false; /* ran dry */
  else
    a->dac.s.due += dac_span(a);
}

static const struct sq_reg dac_fns[] = {
    {"configure", dac_configure, -5},
    {"start", dac_start, 1},
    {"stop", dac_stop, -1},
    {"addbuffer", dac_addbuffer, 2},
    {NULL, NULL, 0}};

/* ---- sampler ------------------------------------------------------------ */

static struct api *sampler_api(sq_vm *vm) {
  struct api *a = sq_getinstanceup(vm, 1, &sampler_tag);
  if (!a)
    sq_error(vm, "sampler: not the sampler object");
  return a;
}

/* G.711 A-law of a signed 16-bit sample (AUDIO-014): its top 13 bits as
** a sign, a 3-bit segment (the power of two below the magnitude) and the
** 4 bits after the segment's leading one; even bits inverted (0x55). */
static uint8_t a_law(int32_t sample) {
  int32_t mag = sample >> 3; /* 13 bits */
  uint8_t sign = 0x80;       /* set: 0 or above */
  if (mag < 0) {
    sign = 0;
    mag = -mag - 1;
  }
  uint8_t seg = 0;
  while (seg < 7 && mag >= (0x20 << seg))
    seg++;
  uint8_t mant = (uint8_t)((seg == 0 ? mag >> 1 : mag >> seg) & 0x0f);
  return (uint8_t)((sign | seg << 4 | mant) ^ 0x55);
}

/* configure(pins, sampleRate, buffers, callback[, filters]) */
static int sampler_configure(sq_vm *vm) {
  struct api *a = sampler_api(vm);
  const char *fn = "sampler.configure";
  int idx[BOARD_MAX_PINS];
  int32_t filters = 0;
  float rate;
  if (!a)
    return -1;
  if (sq_gettype(vm, 2) != SQ_TARRAY)
    return sq_error(vm, "%s: pins must be an array of pins", fn);
  int32_t np = sq_len(vm, 2);
  if (np < 1 || np > BOARD_MAX_PINS)
    return sq_error(vm, "%s: %d pins", fn, (int)np);
  for (int32_t i = 0; i < np; i++) {
    sq_arrayget(vm, 2, i);
    struct api_pin *p = api_pin_at(vm, -1);
    sq_pop(vm, 1);
    if (!p || !(p->def->caps & BOARD_CAP_ANALOG_IN))
      return sq_error(vm, "%s: pin %d cannot be sampled", fn, (int)i);
    idx[i] = (int)(p - a->pins);
  }
  size_t frame = 2 * (size_t)np; /* AUDIO-005 */
  if (!check_rate(vm, 3, &rate, fn) || !check_buffers(vm, 4, frame, fn) ||
      !check_callback(vm, 5, fn) ||
      (sq_gettop(vm) >= 6 && sq_gettype(vm, 6) != SQ_TNULL &&
       sq_checkint(vm, 6, &filters) < 0))
    return -1;
  if (filters & ~SAMPLER_A_LAW)
    return sq_error(vm, "%s: unknown filters 0x%x (refimp has "
                        "A_LAW_COMPRESS only)", fn, (unsigned)filters);
  if (sq_gettype(vm, 4) != SQ_TARRAY || sq_len(vm, 4) == 0)
    return sq_error(vm, "%s: at least one buffer", fn);
  if (a->sampler.s.running)
    return sq_error(vm, "%s: stop() the sampler first", fn);
  stream_reset(a, &a->sampler.s);
  if (!take_buffers(vm, a, &a->sampler.s, 4, frame, fn))
    return -1;
  api_setref(a, &a->sampler.s.callback, 5);
  memcpy(a->sampler.pins, idx, sizeof(int) * (size_t)np);
  a->sampler.npins = (size_t)np;
  a->sampler.a_law = filters & SAMPLER_A_LAW;
  a->sampler.s.rate = rate;
  a->sampler.s.configured = true;
  return 0;
}

static uint64_t sampler_span(struct api *a) {
  size_t n;
  head(a, &a->sampler.s, &n);
  size_t per_sample = a->sampler.a_law ? 1 : 2;
  return span_ms(n / per_sample / a->sampler.npins, a->sampler.s.rate);
}

static int sampler_start(sq_vm *vm) {
  struct api *a = sampler_api(vm);
  if (!a)
    return -1;
  if (!a->sampler.s.configured)
    return sq_error(vm, "sampler.start: not configured");
  if (!a->sampler.s.running) {
    a->sampler.s.running = true;
    a->sampler.s.due = api_now(a) + sampler_span(a);
  }
  return 0;
}

static int sampler_stop(sq_vm *vm) {
  struct api *a = sampler_api(vm);
  if (!a)
    return -1;
  a->sampler.s.running = false;
  return 0;
}

static int sampler_reset(sq_vm *vm) {
  struct api *a = sampler_api(vm);
  if (!a)
    return -1;
  stream_reset(a, &a->sampler.s);
  return 0;
}

static int sampler_getrate(sq_vm *vm) {
  struct api *a = sampler_api(vm);
  if (!a)
    return -1;
  sq_pushfloat(vm, a->sampler.s.rate);
  return 1;
}

/* The head buffer is full of the pins' voltages now: 16-bit little-endian
** samples, or with A_LAW_COMPRESS a byte each, interleaved across pins. */
static void sampler_filled(struct api *a) {
  size_t n;
  uint8_t *d = head(a, &a->sampler.s, &n);
  size_t width = a->sampler.a_law ? 1 : 2;
  for (size_t k = 0; k + width <= n; k += width) {
    size_t pin = a->sampler.pins[(k / width) % a->sampler.npins];
    uint16_t v = api_pin_analog(&a->pins[pin]) & 0xfff0; /* 12 bits */
    if (a->sampler.a_law) {
      d[k] = a_law((int32_t)v - 0x8000); /* mid-supply is 0 */
    } else {
      d[k] = (uint8_t)(v & 0xff);
      d[k + 1] = (uint8_t)(v >> 8);
    }
  }
  call_back(a, &a->sampler.s, true, n);
  rotate(a, &a->sampler.s, true);
  a->sampler.s.due += sampler_span(a);
}

static const struct sq_reg sampler_fns[] = {
    {"configure", sampler_configure, -5},
    {"start", sampler_start, 1},
    {"stop", sampler_stop, 1},
    {"reset", sampler_reset, 1},
    {"getsampleratehz", sampler_getrate, 1},
    {NULL, NULL, 0}};

/* ---- dfsdm (imp004m) ---------------------------------------------------- */

static struct api *dfsdm_api(sq_vm *vm) {
  struct api *a = sq_getinstanceup(vm, 1, &dfsdm_tag);
  if (!a)
    sq_error(vm, "dfsdm: not the dfsdm object");
  return a;
}

static bool int_in(sq_vm *vm, int idx, int32_t lo, int32_t hi,
                   const char *what, int32_t *out) {
  if (sq_checkint(vm, idx, out) < 0)
    return false;
  if (*out < lo || *out > hi) {
    sq_error(vm, "dfsdm.configure: %s %d is outside %d to %d", what,
             (int)*out, (int)lo, (int)hi);
    return false;
  }
  return true;
}

/* configure(filterOrder, decimation, integration, offset, rightShift,
** samplingEdge, buffers, callback[, preprocessors]) (AUDIO-003) */
static int dfsdm_configure(sq_vm *vm) {
  struct api *a = dfsdm_api(vm);
  struct api_dfsdm *d = a ? &a->dfsdm : NULL;
  int32_t order, dec, integ, off, shift;
  const char *edge;
  size_t elen;
  if (!a || !int_in(vm, 2, 0, 5, "filter order", &order) ||
      !int_in(vm, 3, 0, 1023, "decimation", &dec) ||
      !int_in(vm, 4, 0, 255, "integration", &integ) ||
      !int_in(vm, 5, -8388607, 8388607, "offset", &off) ||
      !int_in(vm, 6, 0, 24, "right shift", &shift) ||
      sq_checkstr(vm, 7, &edge, &elen) < 0)
    return -1;
  if (strcmp(edge, "RISING-EDGE") != 0 && strcmp(edge, "FALLING-EDGE") != 0)
    return sq_error(vm, "dfsdm.configure: the sampling edge must be "
                        "\"RISING-EDGE\" or \"FALLING-EDGE\"");
  if (!check_buffers(vm, 8, 2, "dfsdm.configure") ||
      !check_callback(vm, 9, "dfsdm.configure"))
    return -1;
  if (sq_gettype(vm, 8) != SQ_TARRAY || sq_len(vm, 8) == 0)
    return sq_error(vm, "dfsdm.configure: at least one buffer");
  if (d->s.running)
    return sq_error(vm, "dfsdm.configure: stop() the dfsdm first");
  stream_reset(a, &d->s);
  if (!take_buffers(vm, a, &d->s, 8, 2, "dfsdm.configure"))
    return -1;
  api_setref(a, &d->s.callback, 9);
  d->order = order;
  d->decimation = dec;
  d->integration = integ;
  d->offset = off;
  d->shift = shift;
  d->s.configured = true;
  return 0;
}

/* Bits one output sample takes. */
static size_t dfsdm_bits_per_sample(const struct api_dfsdm *d) {
  return (size_t)(d->decimation + 1) * (size_t)(d->integration + 1);
}

/* When the head buffer's bits will have been clocked in (UINT64_MAX: the
** stream holds too few bits). */
static uint64_t dfsdm_due(struct api *a) {
  struct api_dfsdm *d = &a->dfsdm;
  size_t n;
  if (!d->s.running || !d->bits || !d->clock_hz)
    return UINT64_MAX;
  head(a, &d->s, &n);
  size_t need = n / 2 * dfsdm_bits_per_sample(d);
  if (d->nbits - d->pos < need)
    return UINT64_MAX;
  return d->s.due + (uint64_t)((double)(d->pos + need) * 1000.0 /
                               d->clock_hz + 0.5);
}

/* Fill the head buffer from the bit stream: per sample the sum of +1 for
** each 1 bit and -1 for each 0 bit, plus the offset, shifted right,
** clamped to 16 bits signed. */
static void dfsdm_filled(struct api *a) {
  struct api_dfsdm *d = &a->dfsdm;
  size_t n;
  uint8_t *buf = head(a, &d->s, &n);
  size_t per = dfsdm_bits_per_sample(d);
  for (size_t k = 0; k + 1 < n; k += 2) {
    int64_t acc = 0;
    for (size_t b = 0; b < per; b++, d->pos++)
      acc += (d->bits[d->pos / 8] >> (d->pos % 8)) & 1 ? 1 : -1;
    acc = (acc + d->offset) >> d->shift;
    if (acc > 32767)
      acc = 32767;
    if (acc < -32768)
      acc = -32768;
    uint16_t v = (uint16_t)(int16_t)acc;
    buf[k] = (uint8_t)(v & 0xff);
    buf[k + 1] = (uint8_t)(v >> 8);
  }
  call_back(a, &d->s, true, n);
  rotate(a, &d->s, true);
}

static int dfsdm_start(sq_vm *vm) {
  struct api *a = dfsdm_api(vm);
  if (!a)
    return -1;
  if (!a->dfsdm.s.configured)
    return sq_error(vm, "dfsdm.start: not configured");
  a->dfsdm.s.running = true;
  return 0;
}

static int dfsdm_stop(sq_vm *vm) {
  struct api *a = dfsdm_api(vm);
  if (!a)
    return -1;
  a->dfsdm.s.running = false;
  return 0;
}

static int dfsdm_reset(sq_vm *vm) {
  struct api *a = dfsdm_api(vm);
  if (!a)
    return -1;
  stream_reset(a, &a->dfsdm.s);
  return 0;
}

static const struct sq_reg dfsdm_fns[] = {
    {"configure", dfsdm_configure, -9},
    {"start", dfsdm_start, 1},
    {"stop", dfsdm_stop, 1},
    {"reset", dfsdm_reset, 1},
    {NULL, NULL, 0}};

bool api_pdm_input(struct api *a, uint32_t clock_hz, const uint8_t *bits,
                   size_t n) {
  if (!a || a->stopped || !(a->board->features & BOARD_HAS_DFSDM) ||
      !clock_hz || !n)
    return false;
  uint8_t *copy = rf_malloc(n);
  if (!copy)
    return false;
  memcpy(copy, bits, n);
  rf_free(a->dfsdm.bits);
  a->dfsdm.bits = copy;
  a->dfsdm.nbits = n * 8;
  a->dfsdm.pos = 0;
  a->dfsdm.clock_hz = clock_hz;
  a->dfsdm.s.due = api_now(a); /* the stream starts now */
  return true;
}

/* ---- the audio clock ------------------------------------------------------ */

uint64_t api_audio_step(struct api *a, uint64_t now) {
  for (int k = 0; k < MAX_BUFFERS_PER_STEP && a->dac.s.running &&
                  a->dac.s.due <= now; k++)
    dac_played(a);
  for (int k = 0; k < MAX_BUFFERS_PER_STEP && a->sampler.s.running &&
                  a->sampler.s.due <= now; k++)
    sampler_filled(a);
  for (int k = 0; k < MAX_BUFFERS_PER_STEP && dfsdm_due(a) <= now; k++)
    dfsdm_filled(a);
  uint64_t next = UINT64_MAX;
  if (a->dac.s.running && a->dac.s.due < next)
    next = a->dac.s.due;
  if (a->sampler.s.running && a->sampler.s.due < next)
    next = a->sampler.s.due;
  uint64_t d = dfsdm_due(a);
  return d < next ? d : next;
}

bool api_audio_busy(const struct api *a) {
  return a->dac.s.running || a->sampler.s.running || a->dfsdm.s.running;
}

void api_periph_free(struct api *a) {
  rf_free(a->dfsdm.bits);
  a->dfsdm.bits = NULL;
}

int api_audio_open(struct api *a) {
  unsigned f = a->board->features;
  int st;
  a->dac.s.callback = a->sampler.s.callback = a->dfsdm.s.callback = -1;
  a->dac.pin = -1;
  static const struct sq_reg none[] = {{NULL, NULL, 0}};
  if ((f & BOARD_HAS_DAC) &&
      (st = api_hw_object(a, "fixedfrequencydac", &dac_tag, dac_fns, a)))
    return st;
  if ((f & BOARD_HAS_SAMPLER) &&
      (st = api_hw_object(a, "sampler", &sampler_tag, sampler_fns, a)))
    return st;
  if ((f & BOARD_HAS_DFSDM) &&
      (st = api_hw_object(a, "dfsdm", &dfsdm_tag, dfsdm_fns, a)))
    return st;
  /* an output object for the DAC only (AUDIO-011) */
  if ((f & BOARD_HAS_PWMPAIR_KD) &&
      (st = api_hw_object(a, "pwmpairKD", &pair_tag, none, a)))
    return st;
  return SQ_OK;
}
