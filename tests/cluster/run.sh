#!/usr/bin/env bash
# tests/cluster/run.sh: a real one-node Slurm cluster test of sharded sweeps.
#
# As root on Debian: installs Slurm and MUNGE from Debian's packages if they
# are missing, starts munged, slurmctld and slurmd on this machine (loopback
# only, private ports, a private slurm.conf; nothing in /etc/slurm is used or
# changed), runs an experiment as a job array of sweep shards
# (tests/cluster/sweep.sbatch) and a merge job that depends on it
# (tests/cluster/merge.sbatch), then checks that the merged runs.csv,
# summary.csv, and timeseries.csv and sensitivity.csv where written, are
# byte-identical to those of an unsharded sweep. Stops every daemon it started when it exits. See docs/cluster.md.
#
#   bash tests/cluster/run.sh
#
# Optional environment:
#   PEACESIM_BIN              peacesim binary to use; by default the script runs
#                             `cargo build --release -p peacesim-cli` and uses
#                             target/release/peacesim
#   PEACESIM_EXPERIMENT       experiment file
#                             (default scenarios/experiments/run2-legitimacy.toml)
#   PEACESIM_SHARDS           number of array tasks (default 3)
#   PEACESIM_CLUSTER_DIR      work directory, emptied at the start
#                             (default ${TMPDIR:-/tmp}/peacesim-cluster)
#   PEACESIM_CLUSTER_TIMEOUT  seconds to wait for the jobs (default 900)
#
# Exit status 0 only if the Slurm jobs succeeded and the outputs are identical.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/tests/cluster
experiment=${PEACESIM_EXPERIMENT:-$root/scenarios/experiments/run2-legitimacy.toml}
shards=${PEACESIM_SHARDS:-3}
work=${PEACESIM_CLUSTER_DIR:-${TMPDIR:-/tmp}/peacesim-cluster}
job_timeout=${PEACESIM_CLUSTER_TIMEOUT:-900}
# Ports other than Slurm's defaults (6817/6818), so that a Slurm installation
# already running on the machine is left alone.
ctld_port=16817
slurmd_port=16818

log() { printf '[cluster %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
die() {
    log "ERROR: $*" >&2
    exit 1
}

[[ $(id -u) == 0 ]] || die "must run as root (it installs packages and starts munged, slurmctld, slurmd)"
[[ $shards =~ ^[1-9][0-9]*$ ]] || die "PEACESIM_SHARDS must be a positive integer, not '$shards'"
[[ -f $experiment ]] || die "experiment file not found: $experiment"
experiment=$(cd "$(dirname "$experiment")" && pwd)/$(basename "$experiment")
work=$(mkdir -p "$work" && cd "$work" && pwd)
[[ $work != / ]] || die "PEACESIM_CLUSTER_DIR must not be /"
# The work directory is emptied below: refuse one that this script did not make.
if [[ -n $(ls -A "$work") && ! -e $work/.peacesim-cluster-test ]]; then
    die "$work is not empty and was not made by this script; set PEACESIM_CLUSTER_DIR to a new directory"
fi

# --- the binary --------------------------------------------------------------
if [[ -n ${PEACESIM_BIN:-} ]]; then
    bin=$PEACESIM_BIN
    log "using PEACESIM_BIN=$bin"
else
    log "building: cargo build --release -p peacesim-cli"
    (cd "$root" && cargo build --release -p peacesim-cli)
    bin=$root/target/release/peacesim
fi
[[ -x $bin ]] || die "peacesim binary not executable: $bin"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
export PEACESIM_BIN=$bin
# Marks the jobs' processes, so that cleanup can find any that outlive Slurm.
job_env=ALL,PEACESIM_CLUSTER_TEST=$work

# --- process handling -------------------------------------------------------
# Daemons this script started are recorded in $work/pids/NAME.pid. Only those
# are ever stopped, after checking that the pid still runs a program of that
# name; a daemon left over by an earlier run that was killed is stopped at the
# start of the next run.

alive() { # alive NAME PID: PID is running and is NAME
    local pid=$2 comm
    [[ -n $pid && -r /proc/$pid/comm ]] || return 1
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
    [[ $comm == "$1" ]] || return 1
    ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null
}

# running PID: PID has not exited (it is neither gone nor a zombie), whatever
# program it runs at the moment. Start-up waits use this, not alive: until the
# exec, $! is the launcher (bash after the fork, then setpriv), and it execs the
# daemon at a moment of its own choosing, so any test of the name races with the
# exec. (An earlier test read /proc/PID/comm twice, once for the daemon's name
# and once more for a launcher's; an exec between the two reads, setpriv ->
# munged, made a daemon that was starting look dead: "munged did not start" in
# CI with munged's start-up in its log.) The state is read once, from one file.
# $! is this shell's child, so its pid is not reused before bash reaps it, and
# a reuse after that could only make a wait run into its timeout, never pass:
# readiness itself is tested on the daemon's real signal (see wait_ready).
running() {
    local state
    [[ -n $1 ]] || return 1
    state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null) || return 1
    [[ -n $state && $state != [ZX] ]]
}

pid_of() { cat "$work/pids/$1.pid" 2>/dev/null || true; }

# wait_ready TIMEOUT CHECK NAME...: wait up to TIMEOUT seconds for the command
# CHECK to succeed; CHECK is the daemons' real readiness signal (munged answers
# a credential request, the Slurm node is idle), not the mere existence of a
# process. Every daemon NAME runs in the foreground (munged -F, slurmctld -D,
# slurmd -D), so its recorded pid is the daemon itself and stays alive as long
# as the daemon does: the wait ends early only once such a pid has really
# exited (its exit status, from wait, goes into the message), so a slow start is
# never taken for a death. On failure, returns 1 with the reason in $wait_error;
# the caller prints the daemon's logs.
wait_error=
wait_ready() {
    local timeout=$1 check=$2 deadline name pid rc
    shift 2
    deadline=$((SECONDS + timeout))
    wait_error=
    while :; do
        "$check" && return 0
        for name in "$@"; do
            pid=$(pid_of "$name")
            running "$pid" && continue
            rc=0
            wait "$pid" 2>/dev/null || rc=$?
            wait_error="$name (pid ${pid:-none}) exited during start-up (exit status $rc)"
            return 1
        done
        if ((SECONDS >= deadline)); then
            wait_error="not ready after $timeout s"
            for name in "$@"; do
                pid=$(pid_of "$name")
                wait_error+="; $name (pid $pid) is $(cat "/proc/$pid/comm" 2>/dev/null || echo gone)"
            done
            return 1
        fi
        sleep 0.2
    done
}

stop_daemon() { # stop_daemon NAME: TERM, then KILL after 15 s
    local name=$1 pid i
    pid=$(pid_of "$name")
    if alive "$name" "$pid"; then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 150; i++)); do
            alive "$name" "$pid" || break
            sleep 0.1
        done
        if alive "$name" "$pid"; then
            log "$name ($pid) ignored SIGTERM; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 0.5
        fi
        log "stopped $name ($pid)"
    fi
    rm -f "$work/pids/$name.pid"
}

cancel_jobs() { # cancel what is left in our private cluster, wait for it to go
    local i
    alive slurmctld "$(pid_of slurmctld)" || return 0
    [[ -n $(squeue -h -o %i 2>/dev/null) ]] || return 0
    log "cancelling remaining jobs"
    scancel --quiet --user=root 2>/dev/null || true
    for ((i = 0; i < 30; i++)); do
        [[ -z $(squeue -h -o %i 2>/dev/null) ]] && return 0
        sleep 1
    done
    log "jobs still listed after 30 s:"
    squeue 2>/dev/null || true
}

# Processes of jobs of this cluster: slurmstepd (it inherits SLURM_CONF from
# slurmd) and the job's own processes (they carry PEACESIM_CLUSTER_TEST, which
# only the jobs get, through sbatch --export).
job_procs() {
    local env_file pid
    for env_file in /proc/[0-9]*/environ; do
        pid=${env_file#/proc/}
        pid=${pid%/environ}
        [[ $pid != "$$" ]] || continue
        if [[ $(cat "/proc/$pid/comm" 2>/dev/null) == slurmstepd ]]; then
            grep -qzxF "SLURM_CONF=$SLURM_CONF" "$env_file" 2>/dev/null || continue
        else
            grep -qzxF "PEACESIM_CLUSTER_TEST=$work" "$env_file" 2>/dev/null || continue
        fi
        echo "$pid"
    done
}

stop_job_procs() { # wait up to 15 s for job steps to end, then kill what is left
    local i pids=()
    for ((i = 0; i < 15; i++)); do
        mapfile -t pids < <(job_procs)
        ((${#pids[@]})) || return 0
        sleep 1
    done
    log "killing leftover job processes: ${pids[*]}"
    kill -KILL "${pids[@]}" 2>/dev/null || true
}

stop_all() {
    cancel_jobs
    stop_job_procs
    stop_daemon slurmd
    stop_daemon slurmctld
    stop_daemon munged
}

cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    stop_all
    exit "$rc"
}

# Daemons of an earlier run of this script that did not get to clean up.
export SLURM_CONF=$work/etc/slurm.conf
stop_all

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

rm -rf "$work"
mkdir -p "$work"/{etc,pids,log,state,spool,out}
touch "$work/.peacesim-cluster-test"
out=$work/out
mkdir -p "$out/logs"

# --- 1. packages ---------------------------------------------------------------
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null ||
    ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
    log "installing slurm-wlm and munge with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends slurm-wlm munge >"$work/log/apt.log" 2>&1 ||
        {
            cat "$work/log/apt.log" >&2
            die "apt-get install slurm-wlm munge failed"
        }
fi
log "$(slurmctld -V), $(munged -V 2>&1 | awk '{print $1; exit}')"

# --- 2. munge ------------------------------------------------------------------
# munged is ready when it answers: a credential encoded and decoded through its
# socket. The timeouts bound a daemon that accepted the connection but hangs.
munge_ok() { timeout 10 munge -n 2>/dev/null | timeout 10 unmunge >/dev/null 2>&1; }

if munge_ok; then
    log "munged is already running; using it (and leaving it running)"
else
    getent passwd munge >/dev/null || die "user munge does not exist (is the munge package installed?)"
    install -d -o munge -g munge -m 0700 /etc/munge
    install -d -o munge -g munge -m 0755 /run/munge
    install -d -o munge -g munge -m 0700 /var/log/munge /var/lib/munge
    if [[ ! -s /etc/munge/munge.key ]]; then
        log "creating /etc/munge/munge.key"
        (umask 077 && dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none)
    fi
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
    # -F: stay in the foreground so that $! is munged itself; setpriv execs it
    # as the munge user without forking.
    setpriv --reuid=munge --regid=munge --init-groups /usr/sbin/munged -F \
        </dev/null >>"$work/log/munged.out" 2>&1 &
    echo $! >"$work/pids/munged.pid"
    if ! wait_ready 30 munge_ok munged; then
        {
            echo "----- $work/log/munged.out"
            cat "$work/log/munged.out"
            if [[ -s /var/log/munge/munged.log ]]; then
                echo "----- /var/log/munge/munged.log (last 20 lines)"
                tail -n 20 /var/log/munge/munged.log
            fi
            echo "----- /run/munge"
            ls -l /run/munge
        } >&2 2>/dev/null || true
        die "munged did not start: $wait_error"
    fi
    log "munged running (pid $(pid_of munged))"
fi
munge -n | unmunge | grep -E '^STATUS' | sed 's/^/  unmunge: /'

# --- 3. slurm.conf and the daemons ---------------------------------------------
node=$(hostname -s)
cpus=$(nproc)
mem_mb=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)
real_mb=$((mem_mb * 9 / 10))

cat >"$SLURM_CONF" <<EOF
# Written by tests/cluster/run.sh: one node on the loopback address.
ClusterName=peacesim-test
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/state/slurmctld.pid
SlurmdPidFile=$work/spool/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
MailProg=/bin/true
SwitchType=switch/none
ReturnToService=2
SlurmdParameters=config_overrides
# Keep finished jobs visible to scontrol for an hour (there is no sacct here).
MinJobAge=3600
SlurmctldTimeout=60
SlurmdTimeout=60
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$real_mb State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
# Only read by plugins that use cgroups; present so that no version complains.
cat >"$work/etc/cgroup.conf" <<EOF
CgroupPlugin=autodetect
ConstrainCores=no
ConstrainRAMSpace=no
EOF

daemon_logs() {
    local f
    for f in "$work"/log/slurmctld.log "$work"/log/slurmd.log "$work"/log/*.out; do
        [[ -s $f ]] || continue
        echo "----- $f (last 40 lines)"
        tail -n 40 "$f"
    done >&2
}

slurmctld -D -f "$SLURM_CONF" </dev/null >>"$work/log/slurmctld.out" 2>&1 &
echo $! >"$work/pids/slurmctld.pid"
slurmd -D -f "$SLURM_CONF" -N "$node" </dev/null >>"$work/log/slurmd.out" 2>&1 &
echo $! >"$work/pids/slurmd.pid"
log "started slurmctld (pid $(pid_of slurmctld)) and slurmd (pid $(pid_of slurmd)) for node $node: CPUs=$cpus RealMemory=$real_mb"

# Slurm is ready when slurmd has registered and the node is idle. sinfo retries
# an unreachable slurmctld for about 9 s; timeout bounds a hung one.
state=
node_idle() {
    state=$(timeout 15 sinfo -h -n "$node" -o %T 2>/dev/null || true)
    [[ $state == idle ]]
}
if ! wait_ready 90 node_idle slurmctld slurmd; then
    sinfo -N -l >&2 || true
    scontrol show node "$node" >&2 || true
    daemon_logs
    die "node $node did not become idle: $wait_error (node state: '${state:-none}')"
fi
log "node $node is idle"
sinfo | sed 's/^/  /'

# --- 4. submit the array and the merge job ----------------------------------
array_id=$(sbatch --parsable --array=0-$((shards - 1)) --time=30 --export="$job_env" \
    --chdir="$out" --output="$out/logs/sweep-%A_%a.out" \
    "$here/sweep.sbatch" "$experiment" "$out")
array_id=${array_id%%;*}
log "submitted sweep array job $array_id (tasks 0-$((shards - 1)))"

merge_id=$(sbatch --parsable --dependency="afterok:$array_id" --kill-on-invalid-dep=yes \
    --time=30 --export="$job_env" --chdir="$out" --output="$out/logs/merge-%j.out" \
    "$here/merge.sbatch" "$out" "$shards")
merge_id=${merge_id%%;*}
log "submitted merge job $merge_id (afterok:$array_id)"

# --- 5. wait for the jobs, compare with an unsharded sweep --------------------
job_logs() {
    local f
    for f in "$out"/logs/*.out; do
        [[ -e $f ]] || continue
        echo "----- $f"
        cat "$f"
    done >&2
}

fail() {
    log "FAILED: $*" >&2
    echo "--- squeue" >&2
    squeue >&2 || true
    echo "--- scontrol show job" >&2
    scontrol show job "$array_id" >&2 || true
    scontrol show job "$merge_id" >&2 || true
    job_logs
    daemon_logs
    echo "cluster: 0 passed, 1 failed"
    exit 1
}

deadline=$((SECONDS + job_timeout))
last=
while :; do
    queue=$(squeue -h -j "$array_id,$merge_id" -o '%i:%T:%r' 2>/dev/null) ||
        fail "squeue failed"
    [[ -z $queue ]] && break
    queue=$(echo "$queue" | tr '\n' ' ')
    [[ $queue != "$last" ]] && log "queue: $queue"
    last=$queue
    ((SECONDS < deadline)) || fail "jobs still queued after ${job_timeout} s"
    alive slurmctld "$(pid_of slurmctld)" || fail "slurmctld died"
    alive slurmd "$(pid_of slurmd)" || fail "slurmd died"
    sleep 2
done

# Finished jobs stay known to slurmctld (MinJobAge), so their state is read
# with scontrol; every array task and the merge job must have COMPLETED.
states=$(
    scontrol -o show job "$array_id" 2>/dev/null
    scontrol -o show job "$merge_id" 2>/dev/null
) || true
bad=0
ntasks=0
while read -r line; do
    [[ -n $line ]] || continue
    id=$(grep -oE '^JobId=[0-9]+' <<<"$line" | cut -d= -f2)
    task=$(grep -oE ' ArrayTaskId=[0-9]+' <<<"$line" | cut -d= -f2 || true)
    st=$(grep -oE ' JobState=[A-Z_]+' <<<"$line" | cut -d= -f2)
    ec=$(grep -oE ' ExitCode=[0-9]+:[0-9]+' <<<"$line" | cut -d= -f2)
    log "job $id${task:+ (array task $task)}: $st, exit code $ec"
    [[ -n $task ]] && ntasks=$((ntasks + 1))
    [[ $st == COMPLETED && $ec == 0:0 ]] || bad=1
done <<<"$states"
((ntasks == shards)) || fail "expected $shards array tasks, scontrol shows $ntasks"
((bad == 0)) || fail "a Slurm job did not complete successfully"
[[ -d $out/merged ]] || fail "the merge job wrote no $out/merged"

log "sweep shard outputs:"
(cd "$out" && ls -l shard-*/ merged/) | sed 's/^/  /'
log "merge job output:"
sed 's/^/  /' "$out"/logs/merge-*.out

log "unsharded reference: $bin sweep $experiment --out $out/reference"
"$bin" sweep "$experiment" --out "$out/reference" >"$out/logs/reference.out" 2>&1 ||
    fail "the unsharded sweep failed: $(cat "$out/logs/reference.out")"

passed=0
failed=0
for f in runs.csv summary.csv timeseries.csv sensitivity.csv; do
    # timeseries.csv and sensitivity.csv (Sobol designs) exist only for some experiments.
    if [[ $f == @(timeseries|sensitivity).csv && ! -e $out/reference/$f && ! -e $out/merged/$f ]]; then
        log "$f: written by neither, skipped"
        continue
    fi
    if cmp "$out/merged/$f" "$out/reference/$f"; then
        log "$f: identical ($(wc -l <"$out/reference/$f") lines, $(wc -c <"$out/reference/$f") bytes)"
        passed=$((passed + 1))
    else
        log "$f: DIFFERS between merged and unsharded output"
        diff "$out/merged/$f" "$out/reference/$f" 2>&1 | head -n 20 | sed 's/^/  /' || true
        failed=$((failed + 1))
    fi
done

if ((failed > 0 || passed == 0)); then
    job_logs
    echo "cluster: $passed passed, $failed failed"
    exit 1
fi
log "merged output of $shards Slurm array tasks equals the unsharded sweep"
echo "cluster: $passed passed, 0 failed"
