/* run.c - runs a sweep's points as child processes.
 *
 * Each point is `program ARGS --format json --no-timing` in its own process
 * (fork + execv), so a crash or a runaway solver costs one row, not the
 * sweep. At most `jobs` children run at once; one poll() loop drains every
 * child's stdout and stderr pipes (so no child blocks on a full pipe), reaps
 * it when both close, and kills it with SIGKILL past the time limit. Results
 * land in the point's slot, so the output order never depends on timing. */
#include "experiments/experiments.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  char *data;
  size_t len, cap;
} run_buf_t;

typedef struct {
  pid_t pid;
  int point;
  int fd[2]; /* stdout, stderr read ends; -1 when closed */
  run_buf_t out[2];
  double start_ms;
  bool killed; /* by us, for the time limit */
} run_job_t;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

const char *exp_status_name(exp_status_t status) {
  static const char *const names[] = {"ok", "failed", "crashed", "timeout", "bad-output"};
  return names[status];
}

void exp_result_free(exp_result_t *r) {
  cJSON_Delete(r->totals);
  free(r->error);
  memset(r, 0, sizeof *r);
}

/* Adds `value` (us, kept to 1 ns) to the number `key` of obj. */
static void add_to(cJSON *obj, const char *key, double value_us) {
  cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!v)
    v = cJSON_AddNumberToObject(obj, key, 0);
  cJSON_SetNumberValue(v, round((v->valuedouble + value_us) * 1e3) / 1e3);
}

/* Appends one layer's "STRATEGY" or "STRATEGY/slices" to *text (the
 * report's "slices": time slices of a pipelined or tiled layer). */
static void append_strategy(const cJSON *layer, char **text, size_t *len) {
  const cJSON *strategy = cJSON_GetObjectItemCaseSensitive(layer, "strategy");
  const cJSON *tiles = cJSON_GetObjectItemCaseSensitive(layer, "slices");
  char item[80];
  int n = snprintf(item, sizeof item, "%s%s", *len ? " " : "",
                   cJSON_IsString(strategy) ? strategy->valuestring : "?");
  if (cJSON_IsNumber(tiles) && tiles->valuedouble > 1 && n > 0 && n < (int)sizeof item)
    snprintf(item + n, sizeof item - (size_t)n, "/%.0f", tiles->valuedouble);
  *text = sched_xrealloc(*text, *len + strlen(item) + 1);
  strcpy(*text + *len, item);
  *len += strlen(item);
}

/* Columns derived from the layers, for studies that ask per-layer
 * questions: `strategies` ("SOH HKSwitch SOK/4": each layer's strategy,
 * /slices when sliced) and `layers_<engine>_us` (layer latency summed per
 * engine). A totals field of the same name wins. */
static void add_layer_columns(const cJSON *layers, cJSON *totals) {
  char *text = sched_xcalloc(1, 1);
  size_t len = 0;
  const cJSON *l;
  cJSON_ArrayForEach(l, layers) {
    append_strategy(l, &text, &len);
    const cJSON *engine = cJSON_GetObjectItemCaseSensitive(l, "engine");
    const cJSON *latency = cJSON_GetObjectItemCaseSensitive(l, "latency_us");
    char key[96];
    snprintf(key, sizeof key, "layers_%s_us",
             cJSON_IsString(engine) ? engine->valuestring : "unknown");
    if (cJSON_IsNumber(latency))
      add_to(totals, key, latency->valuedouble);
  }
  if (!cJSON_GetObjectItemCaseSensitive(totals, "strategies"))
    cJSON_AddStringToObject(totals, "strategies", text);
  free(text);
}

void exp_result_parse_report(const char *json_text, exp_result_t *r) {
  cJSON *root = cJSON_Parse(json_text);
  cJSON *totals = root ? cJSON_DetachItemFromObjectCaseSensitive(root, "totals") : NULL;
  const cJSON *cmx = root ? cJSON_GetObjectItemCaseSensitive(root, "cmx_bytes") : NULL;
  if (cJSON_IsObject(totals)) {
    r->status = EXP_STATUS_OK;
    r->totals = totals;
    r->cmx_bytes = cJSON_IsNumber(cmx) ? cmx->valuedouble : 0;
    add_layer_columns(cJSON_GetObjectItemCaseSensitive(root, "layers"), totals);
    /* provenance: which sched computed the row */
    const char *const keys[] = {"sched_version", "git_revision"};
    for (int k = 0; k < 2; k++) {
      const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, keys[k]));
      if (v && !cJSON_GetObjectItemCaseSensitive(totals, keys[k]))
        cJSON_AddStringToObject(totals, keys[k], v);
    }
  } else {
    cJSON_Delete(totals);
    r->status = EXP_STATUS_BAD_OUTPUT;
    r->error = sched_xstrdup("stdout is not a JSON report with 'totals'");
  }
  cJSON_Delete(root);
}

/* ---- starting a child ---- */

static void close_fd(int *fd) {
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}

/* The signals that stop a sweep: read through a signalfd, no handler. */
static void stop_signals(sigset_t *set) {
  sigemptyset(set);
  sigaddset(set, SIGINT);
  sigaddset(set, SIGTERM);
  sigaddset(set, SIGHUP);
}

/* In the child: wire the pipes to stdout/stderr and exec; never returns. */
static _Noreturn void child_exec(const char *program, const exp_point_t *p, int out_w, int err_w) {
  const char *argv[EXP_MAX_OPTIONS + 17];
  argv[0] = program;
  exp_point_argv(p, argv + 1);
  setpgid(0, 0); /* its own group: a time limit kills its children too */
  sigset_t stop;
  stop_signals(&stop);
  sigprocmask(SIG_UNBLOCK, &stop, NULL); /* the parent blocks them for its signalfd */
  int devnull = open("/dev/null", O_RDONLY);
  if (devnull >= 0)
    dup2(devnull, STDIN_FILENO);
  dup2(out_w, STDOUT_FILENO);
  dup2(err_w, STDERR_FILENO);
  execv(program, (char *const *)argv);
  dprintf(STDERR_FILENO, "cannot run %s: %s\n", program, strerror(errno));
  _exit(127);
}

static int start_job(const exp_sweep_t *s, int point, const char *program, run_job_t *job,
                     sched_diag_t *diag) {
  int out_p[2], err_p[2];
  if (pipe(out_p) != 0)
    return sched_diag_set(diag, SCHED_ERR_INTERNAL, "pipe: %s", strerror(errno));
  if (pipe(err_p) != 0) {
    close(out_p[0]);
    close(out_p[1]);
    return sched_diag_set(diag, SCHED_ERR_INTERNAL, "pipe: %s", strerror(errno));
  }
  for (int i = 0; i < 2; i++) { /* no other child inherits these */
    fcntl(out_p[i], F_SETFD, FD_CLOEXEC);
    fcntl(err_p[i], F_SETFD, FD_CLOEXEC);
  }
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0)
    child_exec(program, &s->points[point], out_p[1], err_p[1]);
  close(out_p[1]);
  close(err_p[1]);
  if (pid > 0)
    setpgid(pid, pid); /* also here: no race with the child's own call */
  if (pid < 0) {
    close(out_p[0]);
    close(err_p[0]);
    return sched_diag_set(diag, SCHED_ERR_INTERNAL, "fork: %s", strerror(errno));
  }
  *job = (run_job_t){.pid = pid, .point = point, .fd = {out_p[0], err_p[0]}};
  job->start_ms = now_ms();
  return SCHED_OK;
}

/* ---- collecting output ---- */

static void buf_read(int *fd, run_buf_t *b) {
  if (b->cap - b->len < 4096) {
    b->cap = b->cap ? b->cap * 2 : 65536;
    b->data = sched_xrealloc(b->data, b->cap);
  }
  ssize_t got = read(*fd, b->data + b->len, b->cap - b->len - 1);
  if (got > 0)
    b->len += (size_t)got;
  else if (got == 0 || (errno != EINTR && errno != EAGAIN))
    close_fd(fd);
  b->data[b->len] = '\0';
}

/* The last non-empty line of the child's stderr, without "sched: error: ". */
static char *last_line(run_buf_t *err) {
  if (!err->data)
    return NULL;
  char *end = err->data + err->len;
  while (end > err->data && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
    *--end = '\0';
  char *start = end;
  while (start > err->data && start[-1] != '\n')
    start--;
  const char *prefix = "sched: error: ";
  if (strncmp(start, prefix, strlen(prefix)) == 0)
    start += strlen(prefix);
  return *start ? sched_xstrdup(start) : NULL;
}

static void finish_job(run_job_t *job, int wait_status, exp_result_t *r) {
  memset(r, 0, sizeof *r);
  r->wall_ms = now_ms() - job->start_ms;
  char sigtext[96];
  if (WIFSIGNALED(wait_status)) {
    r->status = job->killed ? EXP_STATUS_TIMEOUT : EXP_STATUS_CRASHED;
    r->exit_code = WTERMSIG(wait_status);
    snprintf(sigtext, sizeof sigtext, "%s (signal %d: %s)",
             job->killed ? "killed at the time limit" : "crashed", r->exit_code,
             strsignal(r->exit_code));
    r->error = sched_xstrdup(sigtext);
  } else if (WEXITSTATUS(wait_status) != 0) {
    r->status = EXP_STATUS_FAILED;
    r->exit_code = WEXITSTATUS(wait_status);
    r->error = last_line(&job->out[1]);
    if (!r->error) {
      snprintf(sigtext, sizeof sigtext, "exit code %d", r->exit_code);
      r->error = sched_xstrdup(sigtext);
    }
  } else {
    exp_result_parse_report(job->out[0].data ? job->out[0].data : "", r);
  }
  free(job->out[0].data);
  free(job->out[1].data);
}

/* Reaps a job whose pipes are both closed. */
static void reap_job(run_job_t *job, exp_result_t *r) {
  int status = 0;
  while (waitpid(job->pid, &status, 0) < 0 && errno == EINTR)
    ;
  finish_job(job, status, r);
}

static void print_progress(FILE *out, int done, int total, const exp_point_t *p,
                           const exp_result_t *r) {
  if (!out)
    return;
  fprintf(out, "\r\033[K[%*d/%d] %-10s %s %s %s %s", total >= 1000 ? 4 : 3, done, total,
          exp_status_name(r->status), p->net, p->arch ? p->arch : "", p->cmx ? p->cmx : "",
          p->solver ? p->solver : "");
  fflush(out);
}

/* ---- the loop ---- */

typedef struct {
  run_job_t *jobs;
  int n_running;
  int next, done;
  int signal_fd;  /* SIGINT/SIGTERM/SIGHUP, or -1 */
  int stopped_by; /* the signal that arrived, or 0 */
} run_state_t;

static void read_signal(run_state_t *st) {
  struct signalfd_siginfo info;
  while (read(st->signal_fd, &info, sizeof info) == (ssize_t)sizeof info)
    st->stopped_by = (int)info.ssi_signo;
}

static void poll_jobs(run_state_t *st, const exp_run_params_t *params) {
  struct pollfd pfd[2 * st->n_running + 2];
  int owner[2 * st->n_running + 2], n = 0;
  for (int j = 0; j < st->n_running; j++)
    for (int k = 0; k < 2; k++)
      if (st->jobs[j].fd[k] >= 0) {
        pfd[n] = (struct pollfd){.fd = st->jobs[j].fd[k], .events = POLLIN};
        owner[n++] = j * 2 + k;
      }
  int n_jobs = n;
  if (st->signal_fd >= 0)
    pfd[n++] = (struct pollfd){.fd = st->signal_fd, .events = POLLIN};
  if (poll(pfd, (nfds_t)n, 100) > 0 && n > n_jobs && pfd[n_jobs].revents)
    read_signal(st);
  if (!st->stopped_by)
    for (int i = 0; i < n_jobs; i++)
      if (pfd[i].revents)
        buf_read(&st->jobs[owner[i] / 2].fd[owner[i] % 2],
                 &st->jobs[owner[i] / 2].out[owner[i] % 2]);
  double now = now_ms();
  for (int j = 0; j < st->n_running; j++) {
    run_job_t *job = &st->jobs[j];
    if (params->timeout_s > 0 && !job->killed && now - job->start_ms > params->timeout_s * 1e3) {
      kill(-job->pid, SIGKILL);
      job->killed = true;
    }
  }
}

static void reap_finished(run_state_t *st, const exp_sweep_t *s, const exp_run_params_t *params,
                          exp_result_t *results) {
  for (int j = 0; j < st->n_running;) {
    run_job_t *job = &st->jobs[j];
    if (job->fd[0] >= 0 || job->fd[1] >= 0) {
      j++;
      continue;
    }
    int point = job->point;
    reap_job(job, &results[point]);
    print_progress(params->progress, ++st->done, s->n_points, &s->points[point], &results[point]);
    if (params->on_result)
      params->on_result(params->ctx, point, &results[point]);
    st->jobs[j] = st->jobs[--st->n_running];
  }
}

/* After a harness error or a signal: every running child's process group
 * is killed (they run in groups of their own, so a Ctrl-C at the terminal
 * does not reach them) and reaped; its result says why it stopped. */
static void stop_running(run_state_t *st, exp_result_t *results) {
  for (int j = 0; j < st->n_running; j++) {
    kill(-st->jobs[j].pid, SIGKILL);
    close_fd(&st->jobs[j].fd[0]);
    close_fd(&st->jobs[j].fd[1]);
    exp_result_t *r = &results[st->jobs[j].point];
    reap_job(&st->jobs[j], r);
    free(r->error);
    cJSON_Delete(r->totals);
    *r = (exp_result_t){.status = EXP_STATUS_FAILED,
                        .error = sched_xstrdup(st->stopped_by ? "interrupted" : "harness error")};
  }
  st->n_running = 0;
}

static bool is_done(const exp_run_params_t *params, int point) {
  return params->done && params->done[point];
}

int exp_run(const exp_sweep_t *s, const exp_run_params_t *params, exp_result_t *results,
            sched_diag_t *diag) {
  int jobs = SCHED_MAX(1, params->jobs);
  sigset_t stop, old;
  stop_signals(&stop);
  sigprocmask(SIG_BLOCK, &stop, &old);
  run_state_t st = {.jobs = sched_xcalloc((size_t)jobs, sizeof(run_job_t)),
                    .signal_fd = signalfd(-1, &stop, SFD_NONBLOCK | SFD_CLOEXEC)};
  int rc = SCHED_OK;
  while (rc == SCHED_OK && !st.stopped_by && (st.next < s->n_points || st.n_running > 0)) {
    while (st.next < s->n_points && is_done(params, st.next))
      st.next++;
    while (rc == SCHED_OK && st.n_running < jobs && st.next < s->n_points) {
      rc = start_job(s, st.next, params->program, &st.jobs[st.n_running], diag);
      if (rc == SCHED_OK) {
        st.n_running++;
        st.next++;
      }
      while (st.next < s->n_points && is_done(params, st.next))
        st.next++;
    }
    if (st.n_running > 0)
      poll_jobs(&st, params);
    if (!st.stopped_by)
      reap_finished(&st, s, params, results);
  }
  stop_running(&st, results);
  for (int i = st.next; i < s->n_points; i++) /* never started */
    if (!is_done(params, i))
      results[i] = (exp_result_t){.status = EXP_STATUS_FAILED, .error = sched_xstrdup("not run")};
  if (params->progress && s->n_points > 0)
    fputc('\n', params->progress);
  if (st.signal_fd >= 0) {
    read_signal(&st); /* consumed here, so unblocking does not deliver it */
    close(st.signal_fd);
  }
  sigprocmask(SIG_SETMASK, &old, NULL);
  if (st.stopped_by && rc == SCHED_OK)
    rc = sched_diag_set(diag, SCHED_ERR_INTERNAL, "interrupted by %s", strsignal(st.stopped_by));
  free(st.jobs);
  return rc;
}
