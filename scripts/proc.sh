# Background processes with pid files under $DATA_DIR/run and logs under $DATA_DIR/logs, shared by
# up.sh, cluster.sh and down.sh. Source it after env.sh.
mkdir -p "$DATA_DIR/logs" "$DATA_DIR/run"

running() { [ -f "$DATA_DIR/run/$1.pid" ] && kill -0 "$(cat "$DATA_DIR/run/$1.pid")" 2>/dev/null; }

launch() { # name command...   (starts it in its own session unless it is running already)
  local name="$1"; shift
  if running "$name"; then log "$name already running (pid $(cat "$DATA_DIR/run/$name.pid"))"; return; fi
  log "starting $name (log: $DATA_DIR/logs/$name.log)"
  setsid nohup "$@" >>"$DATA_DIR/logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$DATA_DIR/run/$name.pid"
}

wait_for() { # what check...   (up to a minute)
  local what="$1"; shift
  for _ in $(seq 1 120); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  echo "$what did not come up; see $DATA_DIR/logs" >&2; exit 1
}

stop_process() { # name   (TERM to its process group, KILL after 10 s)
  local pidfile="$DATA_DIR/run/$1.pid" pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$pidfile"
  log "stopped $1"
}
