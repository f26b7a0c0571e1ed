/*
** api.c: the VM's life and the event loop: create with the bindings, run
** the main body, fire timers and queued callbacks, onidle, and what
** happens when Squirrel fails (uncaught error, out of memory, watchdog).
** Requests that end the VM (deep sleep, reset, restart) are recorded by
** the bindings and handed to the host once the VM has unwound.
*/
#include "api/api_int.h"

#include <stdio.h>
#include <string.h>

#include "api/value.h"
#include "core/rf.h"

/* ---- memory: the VM's heap through refimp's allocator ------------------ */

static void *vm_alloc(void *ud, void *p, size_t oldsize, size_t newsize) {
  (void)ud;
  if (newsize == 0) {
    rf_free(p);
    return NULL;
  }
  void *n = rf_malloc(newsize);
  if (n && p) {
    memcpy(n, p, oldsize < newsize ? oldsize : newsize);
    rf_free(p);
  }
  return n;
}

/* ---- helpers the bindings share ------------------------------------------ */

uint64_t api_now(struct api *a) { return a->host.now_ms(a->host.ctx); }

void api_setref(struct api *a, int *ref, int idx) {
  if (*ref >= 0)
    sq_unref(a->vm, *ref);
  *ref = -1;
  if (sq_gettype(a->vm, idx) != SQ_TNULL)
    *ref = sq_ref(a->vm, idx);
}

void api_clearref(struct api *a, int *ref) {
  if (*ref >= 0)
    sq_unref(a->vm, *ref);
  *ref = -1;
}

int api_register(struct api *a, int idx, const struct sq_reg *regs) {
  int t = idx < 0 ? sq_gettop(a->vm) + idx + 1 : idx;
  for (; regs->name; regs++) {
    int st;
    if ((st = sq_pushstring(a->vm, regs->name, SIZE_MAX)) != SQ_OK)
      return st;
    if ((st = sq_newnative(a->vm, regs->fn, regs->name, regs->nparams, a)) !=
        SQ_OK) {
      sq_pop(a->vm, 1);
      return st;
    }
    if ((st = sq_newslot(a->vm, t)) != SQ_OK)
      return st;
  }
  return SQ_OK;
}

int api_setglobal(struct api *a, const char *name) {
  int st;
  sq_pushroot(a->vm);
  if ((st = sq_pushstring(a->vm, name, SIZE_MAX)) != SQ_OK ||
      (st = sq_pushvalue(a->vm, -3)) != SQ_OK ||
      (st = sq_newslot(a->vm, -3)) != SQ_OK) {
    sq_pop(a->vm, 1);
    return st;
  }
  sq_pop(a->vm, 2); /* root and the value */
  return SQ_OK;
}

int api_newlib(struct api *a, const char *name, const struct sq_reg *regs) {
  int st;
  if ((st = sq_newtable(a->vm)) != SQ_OK)
    return st;
  if ((st = api_register(a, -1, regs)) != SQ_OK) {
    sq_pop(a->vm, 1);
    return st;
  }
  return name ? api_setglobal(a, name) : SQ_OK;
}

int api_setconsts(struct api *a, const struct api_const *c) {
  int st;
  sq_pushroot(a->vm);
  for (; c->name; c++) {
    if ((st = sq_pushstring(a->vm, c->name, SIZE_MAX)) != SQ_OK ||
        (st = sq_pushint(a->vm, c->value)) != SQ_OK ||
        (st = sq_newslot(a->vm, -3)) != SQ_OK) {
      sq_pop(a->vm, 1);
      return st;
    }
  }
  sq_pop(a->vm, 1);
  return SQ_OK;
}

/* [WIRE-017] Ack an AgentMessage that carried seq, once its handler has
** run or the message was dropped. Never connects for it: an Ack belongs
** to the session the message came on. */
static void send_ack(struct api *a, uint32_t seq) {
  Impwire__Ack ack = IMPWIRE__ACK__INIT;
  Impwire__Envelope env = IMPWIRE__ENVELOPE__INIT;
  ack.seq = seq;
  env.msg_case = IMPWIRE__ENVELOPE__MSG_ACK;
  env.ack = &ack;
  /* never connects, never waits (the host sends an Ack whatever the
  ** buffer holds) */
  struct api_send_policy pol = {.error = API_RETURN_ON_ERROR,
                                .buffer = a->send_buffer};
  (void)a->host.send(a->host.ctx, &env, &pol);
}

void api_queue(struct api *a, const struct api_pending *p) {
  if (a->npending == API_MAX_PENDING) {
    /* a flood of callbacks: drop the oldest rather than block the OS */
    if (a->pending[0].ack)
      send_ack(a, a->pending[0].ack_seq);
    if (a->pending[0].fn >= 0)
      sq_unref(a->vm, a->pending[0].fn);
    if (a->pending[0].arg >= 0)
      sq_unref(a->vm, a->pending[0].arg);
    memmove(a->pending, a->pending + 1,
            (API_MAX_PENDING - 1) * sizeof(a->pending[0]));
    a->npending--;
  }
  a->pending[a->npending++] = *p;
}

void api_stop(struct api *a, const struct api_request *req) {
  if (a->stopped)
    return;
  a->stopped = true;
  a->have_req = true;
  a->req = *req;
  if (req->why) {
    snprintf(a->req_why, sizeof a->req_why, "%s", req->why);
    a->req.why = a->req_why;
  }
  /* stop the running code at its next call or backward jump; natives
  ** called meanwhile do nothing (they check a->stopped) */
  sq_setbudget(a->vm, 1);
}

/* Hand a recorded request to the host (after the VM unwound). */
static void flush_request(struct api *a) {
  if (!a->have_req)
    return;
  a->have_req = false;
  a->host.request(a->host.ctx, &a->req);
}

/* ---- failures ------------------------------------------------------------ */

/* "msg: in fn file:line" from the first traceback line (API-005). */
static void error_line(const char *msg, const char *trace, char *out,
                       size_t cap) {
  char fn[64] = "unknown", where[96] = "";
  const char *p = strstr(trace, "at ");
  if (p) {
    const char *open = strchr(p, '(');
    const char *close = open ? strchr(open, ')') : NULL;
    if (open && close) {
      int n = (int)(open - p - 4);
      if (n > 0 && n < (int)sizeof fn &&
          strncmp(p + 3, "anonymous", (size_t)n) != 0)
        snprintf(fn, sizeof fn, "%.*s", n, p + 3); /* else "unknown" */
      snprintf(where, sizeof where, "%.*s", (int)(close - open - 1),
               open + 1);
    }
  }
  if (where[0])
    snprintf(out, cap, "%s: in %s %s", msg, fn, where);
  else
    snprintf(out, cap, "%s", msg);
}

static void uncaught(struct api *a, const char *msg, const char *trace) {
  char line[640];
  error_line(msg, trace, line, sizeof line);
  struct api_event ev = {.kind = API_EV_UNCAUGHT, .text = line,
                         .stack = trace};
  a->host.observe(a->host.ctx, &ev);
  if (a->onexception >= 0) {
    /* imp.onunhandledexception: the handler gets the message, then the VM
    ** is torn down all the same (research imp-api 4.6) */
    int h = a->onexception;
    a->onexception = -1;
    sq_pushref(a->vm, h);
    sq_unref(a->vm, h);
    sq_pushroot(a->vm);
    sq_pushstring(a->vm, line, SIZE_MAX);
    sq_setbudget(a->vm, a->cfg.budget);
    int st = sq_call(a->vm, 2);
    if (st == SQ_OK)
      sq_pop(a->vm, 1);
    else if (st != SQ_ERRBUDGET || !a->stopped) {
      struct api_event ev2 = {.kind = API_EV_UNCAUGHT,
                              .text = sq_lasterror(a->vm),
                              .stack = sq_traceback(a->vm)};
      a->host.observe(a->host.ctx, &ev2);
    }
  } else {
    a->unhandled = true;
  }
  if (!a->stopped) {
    struct api_request r = {.kind = API_REQ_ERROR_RESTART,
                            .why = "uncaught error"};
    api_stop(a, &r);
  }
}

static void out_of_memory(struct api *a) {
  a->stopped = false; /* an OOM overrides a request made before it */
  a->have_req = false;
  struct api_request r = {.kind = API_REQ_RESET, .out_of_memory = true,
                          .why = "out of memory"};
  api_stop(a, &r);
}

bool api_run_call(struct api *a, int nargs) {
  if (!api_run_call_keep(a, nargs))
    return false;
  sq_pop(a->vm, 1);
  return true;
}

void api_flush_request(struct api *a) { flush_request(a); }

bool api_run_call_keep(struct api *a, int nargs) {
  sq_setbudget(a->vm, a->cfg.budget);
  int st = sq_call(a->vm, nargs);
  if (st == SQ_OK)
    return true;
  if (st == SQ_ERRMEM) {
    out_of_memory(a);
  } else if (st == SQ_ERRBUDGET && a->stopped) {
    /* the code was stopped on purpose (deep sleep, reset...) */
  } else if (st == SQ_ERRBUDGET) {
    struct api_event ev = {.kind = API_EV_WATCHDOG,
                           .text = "instruction budget exhausted"};
    a->host.observe(a->host.ctx, &ev);
    uncaught(a, "watchdog: the code ran too long without returning",
             sq_traceback(a->vm));
  } else if (!a->stopped) {
    uncaught(a, sq_lasterror(a->vm), sq_traceback(a->vm));
  }
  return false;
}

/* ---- life cycle ------------------------------------------------------------ */

bool api_board_known(const char *board) { return board_find(board) != NULL; }
const char *api_board_list(void) { return board_names(); }

static void print_hook(void *ud, int iserr, const char *s, size_t len) {
  /* print() and error() are server.log and server.error on the imp */
  struct api *a = ud;
  if (a->stopped)
    return;
  char *text = rf_malloc(len + 1);
  if (!text)
    return;
  memcpy(text, s, len);
  text[len] = '\0';
  while (len && text[len - 1] == '\n')
    text[--len] = '\0';
  Impwire__Log log = IMPWIRE__LOG__INIT;
  Impwire__Envelope env = IMPWIRE__ENVELOPE__INIT;
  log.level = iserr ? IMPWIRE__LOG__LEVEL__ERROR : IMPWIRE__LOG__LEVEL__LOG;
  log.text = text;
  env.msg_case = IMPWIRE__ENVELOPE__MSG_LOG;
  env.log = &log;
  api_send(a, &env, 0); /* print() as server.log(), same policy */
  rf_free(text);
}

struct api *api_create(const struct api_host *host,
                       const struct api_config *cfg) {
  struct api *a = rf_malloc(sizeof(*a));
  if (!a)
    return NULL;
  memset(a, 0, sizeof(*a));
  a->host = *host;
  a->cfg = *cfg;
  a->cfg.nv = NULL;
  if (!a->cfg.mem_limit)
    a->cfg.mem_limit = API_DEFAULT_MEM;
  if (!a->cfg.budget)
    a->cfg.budget = API_DEFAULT_BUDGET;
  a->board = board_find(cfg->board);
  if (!a->board)
    a->board = board_find("imp001");
  a->onidle = a->onexception = a->onshutdown = a->onunexpected = -1;
  a->connect_cb = -1;
  a->scan_cb = -1;
  a->next_timer_id = 1;
  a->policy.timeout_s = 30.0f;     /* SEND-001 */
  a->send_buffer = 3456;           /* SEND-020 */
  for (size_t i = 0; i < a->board->npins; i++) {
    a->pins[i].def = &a->board->pins[i];
    a->pins[i].callback = -1;
    a->pins[i].driven = -1;
    /* [HW-018] the wake pin that ended the deep sleep is high (the jig
    ** holds it): it reads 1, and that edge, before this boot, is no
    ** edge the code's callback sees */
    if (a->cfg.wake_reason == API_WAKE_PIN &&
        (a->pins[i].def->caps & BOARD_CAP_WAKE))
      a->pins[i].driven = a->pins[i].level = 1;
  }
  api_hw_adopt(a); /* zombie PWM of the last VM runs on */
  a->cfg.zombies = NULL;
  a->cfg.nzombies = 0;
  a->boot_ms = api_now(a);
  a->vm = sq_open(vm_alloc, NULL, a->cfg.mem_limit);
  if (!a->vm) {
    rf_free(a);
    return NULL;
  }
  sq_setprint(a->vm, print_hook, a);
  if (sq_openlibs(a->vm) != SQ_OK || api_server_open(a) != SQ_OK ||
      api_imp_open(a) != SQ_OK || api_hardware_open(a) != SQ_OK ||
      api_bluetooth_open(a) != SQ_OK) {
    api_destroy(a);
    return NULL;
  }
  if (cfg->nv && cfg->nv_len) {
    a->cfg.nv = cfg->nv;
    api_nv_restore(a);
    a->cfg.nv = NULL;
  }
  a->was_connected = host->is_connected(host->ctx);
  a->lasterror = -1;
  return a;
}

enum api_start_status api_start(struct api *a, const char *src, size_t n,
                                const char *chunk) {
  int st = sq_compile(a->vm, src, n, chunk);
  if (st == SQ_ERRSYNTAX) {
    snprintf(a->err, sizeof a->err, "%s", sq_lasterror(a->vm));
    a->stopped = true;
    return API_SYNTAX_ERROR;
  }
  a->started = true;
  if (st == SQ_ERRMEM) {
    out_of_memory(a);
    flush_request(a);
    return API_STARTED;
  }
  sq_pushroot(a->vm);
  api_run_call(a, 1);
  flush_request(a);
  return API_STARTED;
}

const char *api_lasterror(const struct api *a) { return a->err; }
bool api_stopped(const struct api *a) { return a->stopped; }
bool api_had_unhandled_error(const struct api *a) { return a->unhandled; }

/* The due timer with the smallest (due, seq), or -1. */
static int next_timer(const struct api *a, uint64_t upto) {
  int best = -1;
  for (int i = 0; i < API_MAX_TIMERS; i++) {
    const struct api_timer *t = &a->timers[i];
    if (!t->id || t->due > upto)
      continue;
    if (best < 0 || t->due < a->timers[best].due ||
        (t->due == a->timers[best].due && t->seq < a->timers[best].seq))
      best = i;
  }
  return best;
}

static void run_pending(struct api *a) {
  while (a->npending && !a->stopped) {
    struct api_pending p = a->pending[0];
    memmove(a->pending, a->pending + 1,
            (a->npending - 1) * sizeof(a->pending[0]));
    a->npending--;
    sq_pushref(a->vm, p.fn);
    sq_unref(a->vm, p.fn);
    sq_pushroot(a->vm);
    int nargs = 1;
    if (p.arg >= 0) {
      sq_pushref(a->vm, p.arg);
      sq_unref(a->vm, p.arg);
      nargs++;
    } else if (p.has_int) {
      sq_pushint(a->vm, p.int_arg);
      nargs++;
    }
    if (p.has_int2) {
      sq_pushint(a->vm, p.int_arg2);
      nargs++;
    }
    api_run_call(a, nargs);
    if (p.ack)
      send_ack(a, p.ack_seq);
  }
}

uint64_t api_step(struct api *a, uint64_t now) {
  if (a->stopped || !a->started)
    return UINT64_MAX;
  run_pending(a);
  int i;
  while (!a->stopped && (i = next_timer(a, now)) >= 0) {
    struct api_timer t = a->timers[i];
    a->timers[i].id = 0;
    sq_pushref(a->vm, t.fn);
    sq_unref(a->vm, t.fn);
    sq_pushroot(a->vm);
    api_run_call(a, 1);
    run_pending(a);
  }
  /* onidle is one-shot, once nothing else is due (research 4.2) */
  if (!a->stopped && a->onidle >= 0 && a->npending == 0 &&
      next_timer(a, api_now(a)) < 0) {
    int h = a->onidle;
    a->onidle = -1;
    sq_pushref(a->vm, h);
    sq_unref(a->vm, h);
    sq_pushroot(a->vm);
    api_run_call(a, 1);
  }
  uint64_t audio = a->stopped ? UINT64_MAX : api_audio_step(a, now);
  run_pending(a);
  flush_request(a);
  if (a->stopped)
    return UINT64_MAX;
  if (a->npending || a->onidle >= 0)
    return now;
  uint64_t next = audio;
  for (int k = 0; k < API_MAX_TIMERS; k++)
    if (a->timers[k].id && a->timers[k].due < next)
      next = a->timers[k].due;
  return next;
}

bool api_has_work(const struct api *a) {
  if (a->stopped || !a->started)
    return false;
  if (a->npending || a->onidle >= 0 || a->connect_cb >= 0 ||
      a->onshutdown >= 0 || a->scan_cb >= 0)
    return true;
  for (int i = 0; i < API_MAX_TIMERS; i++)
    if (a->timers[i].id)
      return true;
  for (int i = 0; i < API_MAX_HANDLERS; i++)
    if (a->handlers[i].name)
      return true;
  for (size_t i = 0; i < a->board->npins; i++)
    if (a->pins[i].callback >= 0)
      return true;
  for (size_t i = 0; i < BOARD_MAX_BUSES; i++)
    if (a->uarts[i].callback >= 0)
      return true;
  return api_audio_busy(a);
}

/* An AgentMessage for agent.on, or an Ack. */
void api_frame(struct api *a, const Impwire__Envelope *env) {
  if (env->msg_case != IMPWIRE__ENVELOPE__MSG_AGENT_MESSAGE ||
      !env->agent_message)
    return;
  const Impwire__AgentMessage *m = env->agent_message;
  if (a->stopped || !a->started) {
    if (m->has_seq)
      send_ack(a, m->seq); /* dropped: the code is not running */
    return;
  }
  struct api_handler *h = NULL;
  for (int i = 0; i < API_MAX_HANDLERS; i++)
    if (a->handlers[i].name && strcmp(a->handlers[i].name, m->name) == 0)
      h = &a->handlers[i];
  if (!h) {
    /* SEND-026: dropped, with its name */
    struct api_event ev = {.kind = API_EV_NO_HANDLER, .text = m->name};
    a->host.observe(a->host.ctx, &ev);
    if (m->has_seq)
      send_ack(a, m->seq);
    return;
  }
  char why[160];
  struct api_pending p = {.fn = -1, .arg = -1};
  Impwire__Value null = IMPWIRE__VALUE__INIT;
  null.kind_case = IMPWIRE__VALUE__KIND_IS_NULL;
  null.is_null = true;
  if (value_push(a->vm, m->data ? m->data : &null, why, sizeof why) !=
      SQ_OK) {
    struct api_event ev = {.kind = API_EV_UNCAUGHT, .text = why,
                           .stack = ""};
    a->host.observe(a->host.ctx, &ev);
    if (m->has_seq)
      send_ack(a, m->seq);
    return;
  }
  p.ack = m->has_seq;
  p.ack_seq = m->seq;
  p.arg = sq_ref(a->vm, -1);
  sq_pop(a->vm, 1);
  sq_pushref(a->vm, h->fn);
  p.fn = sq_ref(a->vm, -1);
  sq_pop(a->vm, 1);
  if (p.arg < 0 || p.fn < 0) {
    out_of_memory(a);
    flush_request(a);
    return;
  }
  api_queue(a, &p);
}

bool api_shutdown_notice(struct api *a, enum api_shutdown reason) {
  if (a->stopped || !a->started || a->onshutdown < 0)
    return false;
  struct api_event ev = {.kind = API_EV_SHUTDOWN, .number = (int32_t)reason};
  a->host.observe(a->host.ctx, &ev);
  sq_pushref(a->vm, a->onshutdown);
  struct api_pending p = {.fn = sq_ref(a->vm, -1), .arg = -1,
                          .has_int = true, .int_arg = (int32_t)reason};
  sq_pop(a->vm, 1);
  api_queue(a, &p);
  return true;
}

enum api_error_policy api_error_policy(const struct api *a) {
  return (enum api_error_policy)a->policy.error;
}

void api_connection(struct api *a, bool up, int reason) {
  if (!a || a->stopped)
    return;
  a->was_connected = up;
  a->lasterror = up ? -1 : reason; /* [NET-017] */
  if (a->connect_wanted) {
    a->connect_wanted = false;
    if (a->connect_cb >= 0) {
      struct api_pending p = {.fn = a->connect_cb, .arg = -1,
                              .has_int = true, .int_arg = reason};
      a->connect_cb = -1;
      api_queue(a, &p);
    }
    return;
  }
  /* onunexpecteddisconnect: only under RETURN_ON_ERROR (research 2.7);
  ** the host reports a loss only once it has lasted 60 s [NET-018] */
  if (!up && a->policy.error != 0 && a->onunexpected >= 0) {
    sq_pushref(a->vm, a->onunexpected);
    struct api_pending p = {.fn = sq_ref(a->vm, -1), .arg = -1,
                            .has_int = true, .int_arg = reason};
    sq_pop(a->vm, 1);
    api_queue(a, &p);
  }
}

bool api_pin_input(struct api *a, const char *pin, int level) {
  return a && !a->stopped && api_hw_input(a, pin, level);
}

void api_destroy(struct api *a) {
  if (!a)
    return;
  for (int i = 0; i < API_MAX_HANDLERS; i++)
    rf_free(a->handlers[i].name);
  rf_free(a->req_nv);
  api_bt_free(a);
  api_periph_free(a);
  if (a->vm)
    sq_close(a->vm); /* frees every reference with the VM */
  rf_free(a);
}
