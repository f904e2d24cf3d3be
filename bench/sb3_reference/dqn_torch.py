#!/usr/bin/python3
"""Independent PyTorch re-implementation of Stable-Baselines3 2.3.x DQN (defaults, 1 env,
MlpPolicy) on the recrl "seed" recommendation environment (docs/environments/recommendation.md).

Follows, step for step, SB3 2.3:
  * OffPolicyAlgorithm.learn: while num_timesteps < total: collect_rollouts(train_freq=4 steps);
    then, if num_timesteps > 0 and num_timesteps > learning_starts: train(gradient_steps=1).
  * collect_rollouts: per step _sample_action (uniform while num_timesteps < learning_starts,
    else DQN.predict: one np.random.rand() < exploration_rate -> uniform, else argmax Q),
    env.step, num_timesteps += 1, _store_transition (next_obs = infos["terminal_observation"],
    unnormalised obs/reward when VecNormalize is used), _update_current_progress_remaining,
    _on_step (n_calls += 1; target polyak(tau) every max(target_update_interval // n_envs, 1)
    calls; exploration_rate = linear_fn(progress_remaining)).
  * ReplayBuffer(handle_timeout_termination=True): done = dones * (1 - timeouts); uniform
    np.random.randint(0, pos, batch) sampling; with VecNormalize observations (and rewards if
    norm_reward) are normalised *at sampling time* with the current running statistics.
  * DQN.train: target = r + (1 - done) * gamma * max_a Q_target(s'); smooth_l1_loss(Q(s,a), target);
    clip_grad_norm_(10); Adam(lr=1e-4, eps=1e-8 torch defaults).
  * QNetwork: Flatten -> Linear(10,64) ReLU Linear(64,64) ReLU Linear(64,10), torch default init;
    target = copy of q_net at construction.
"""
import argparse
import copy
import json
import sys
import time

import numpy as np
import torch as th
import torch.nn as nn
import torch.nn.functional as F

from seed_env import N_ACTIONS, OBS_DIM, RecEnv, VecNorm, check_env, draw_users, reward_table

th.set_num_threads(1)
th.set_num_interop_threads(1)

# ----------------------------------------------------------------------------- DQN
def make_qnet():
    return nn.Sequential(nn.Flatten(), nn.Linear(OBS_DIM, 64), nn.ReLU(), nn.Linear(64, 64),
                         nn.ReLU(), nn.Linear(64, N_ACTIONS))


def linear_fn(start, end, end_fraction):  # common/utils.py get_linear_fn
    def func(progress_remaining):
        if (1 - progress_remaining) > end_fraction:
            return end
        return start + (1 - progress_remaining) * (end - start) / end_fraction
    return func


def evaluate(q_net, users, rewards, vn):
    obs = vn.norm_obs(users) if vn is not None else users.astype(np.float32)
    with th.no_grad():
        a = q_net(th.as_tensor(obs)).argmax(dim=1).numpy()
    return float(rewards[np.arange(len(a)), a].mean()), np.bincount(a, minlength=N_ACTIONS)


def run(args):
    check_env()
    # fixed evaluation users, independent of the training seed
    eval_users = draw_users(np.random.default_rng(args.eval_seed), args.eval_episodes)
    eval_rew = reward_table(eval_users)
    oracle = float(eval_rew.max(axis=1).mean())
    uniform = float(eval_rew.mean())

    # set_random_seed(seed): random, numpy, torch; action_space.seed(seed)
    np.random.seed(args.seed)
    th.manual_seed(args.seed)
    action_rng = np.random.RandomState(args.seed)  # action_space.sample()
    env = RecEnv(seed=10_000 + args.seed)

    q_net = make_qnet()
    q_target = make_qnet()
    q_target.load_state_dict(q_net.state_dict())
    q_target.train(False)
    # SB3 2.3 passes policy.parameters() (q_net and q_net_target) to Adam; the target's
    # parameters never get a gradient, so Adam skips them: same as q_net.parameters() only.
    opt = th.optim.Adam(q_net.parameters(), lr=args.learning_rate)

    total = args.total_timesteps
    learning_starts, batch_size, train_freq, gradient_steps = args.learning_starts, 32, 4, 1
    gamma, tau, tui, max_grad_norm = 0.99, 1.0, 10000, 10.0
    expl = linear_fn(1.0, 0.05, 0.1)

    cap = total + train_freq + 8
    b_obs = np.zeros((cap, OBS_DIM), np.float32)
    b_next = np.zeros((cap, OBS_DIM), np.float32)
    b_act = np.zeros((cap, 1), np.int64)
    b_rew = np.zeros((cap,), np.float32)
    b_done = np.zeros((cap,), np.float32)
    b_timeout = np.zeros((cap,), np.float32)
    pos = 0

    vn = VecNorm(norm_reward=args.norm_reward) if args.vecnorm else None

    raw = env.reset()
    if vn is not None:
        vn.on_reset(raw[None, :])
        last_obs = vn.norm_obs(raw)
    else:
        last_obs = raw
    last_original_obs = raw

    num_timesteps, n_calls, n_updates = 0, 0, 0
    exploration_rate = 0.0
    evals = {}
    eval_points = set(range(args.eval_every, total + 1, args.eval_every)) if args.eval_every else set()
    losses = []
    t0 = time.time()

    def do_eval(tag):
        m, counts = evaluate(q_net, eval_users, eval_rew, vn)
        evals[tag] = {"mean": m, "pct_oracle": 100.0 * m / oracle, "actions": counts.tolist()}
        print(f"  step {tag:>7}: eval {m:.4f} = {100*m/oracle:.2f}% of oracle  eps {exploration_rate:.3f}"
              f"  loss(last 1k upd) {np.mean(losses[-1000:]) if losses else float('nan'):.5f}"
              f"  t {time.time()-t0:.0f}s", flush=True)

    while num_timesteps < total:
        # ---- collect_rollouts(train_freq = TrainFreq(4, STEP))
        num_collected_steps = 0
        while num_collected_steps < train_freq:
            if num_timesteps < learning_starts:
                action = action_rng.randint(N_ACTIONS)
            elif np.random.rand() < exploration_rate:
                action = action_rng.randint(N_ACTIONS)
            else:
                with th.no_grad():
                    action = int(q_net(th.as_tensor(last_obs[None, :])).argmax(dim=1)[0])
            term_obs, reward, terminated, truncated = env.step(action)
            done = terminated or truncated
            new_raw = env.reset() if done else term_obs  # DummyVecEnv auto-reset
            if vn is not None:
                vn.on_step(new_raw[None, :], np.array([reward]), np.array([done]))
                new_obs = vn.norm_obs(new_raw)
            else:
                new_obs = new_raw
            num_timesteps += 1
            num_collected_steps += 1
            # _store_transition: original (unnormalised) obs, terminal observation as next_obs
            if vn is not None and args.store_normalized:
                # NOT SB3: recrl-style, store the observations normalised with the statistics
                # current at collection time (SB3 stores raw and normalises at sampling time)
                b_obs[pos] = last_obs
                b_next[pos] = vn.norm_obs(term_obs if done else new_raw)
            else:
                b_obs[pos] = last_original_obs
                b_next[pos] = term_obs if done else new_raw
            b_act[pos, 0] = action
            b_rew[pos] = reward
            b_done[pos] = float(done)
            b_timeout[pos] = float(truncated and not terminated)
            pos += 1
            last_obs = new_obs
            last_original_obs = new_raw
            progress_remaining = 1.0 - float(num_timesteps) / float(total)
            # DQN._on_step
            n_calls += 1
            if n_calls % max(tui // 1, 1) == 0:
                with th.no_grad():
                    for p, tp in zip(q_net.parameters(), q_target.parameters()):
                        tp.mul_(1 - tau)
                        th.add(tp, p, alpha=tau, out=tp)
            exploration_rate = expl(progress_remaining)
            if num_timesteps in eval_points:
                do_eval(num_timesteps)
        # ---- learn(): train after the rollout
        if num_timesteps > 0 and num_timesteps > learning_starts:
            for g in opt.param_groups:
                g["lr"] = args.learning_rate  # constant schedule
            for _ in range(gradient_steps):
                idx = np.random.randint(0, pos, size=batch_size)
                o, no = b_obs[idx], b_next[idx]
                r = b_rew[idx].reshape(-1, 1)
                if vn is not None and not args.store_normalized:
                    o, no = vn.norm_obs(o), vn.norm_obs(no)
                if vn is not None:
                    r = vn.norm_rew(r).astype(np.float32)
                d = (b_done[idx] * (1 - b_timeout[idx])).reshape(-1, 1)
                o, no = th.as_tensor(o), th.as_tensor(no)
                r, d = th.as_tensor(r), th.as_tensor(d)
                a = th.as_tensor(b_act[idx])
                with th.no_grad():
                    nq, _ = q_target(no).max(dim=1)
                    nq = nq.reshape(-1, 1)
                    target = r + (1 - d) * gamma * nq
                cq = th.gather(q_net(o), dim=1, index=a.long())
                loss = F.smooth_l1_loss(cq, target)
                losses.append(loss.item())
                opt.zero_grad()
                loss.backward()
                th.nn.utils.clip_grad_norm_(q_net.parameters(), max_grad_norm)
                opt.step()
            n_updates += gradient_steps

    wall = time.time() - t0
    if total not in evals:
        do_eval(total)
    res = {"seed": args.seed, "vecnorm": args.vecnorm, "norm_reward": args.norm_reward,
           "store_normalized": args.store_normalized,
           "total_timesteps": total, "num_timesteps": num_timesteps, "n_updates": n_updates,
           "oracle": oracle, "uniform": uniform, "wall_s": wall, "evals": evals,
           "final_pct_oracle": evals[total]["pct_oracle"]}
    if vn is not None:
        res["obs_rms_mean"] = vn.obs_rms.mean.tolist()
        res["obs_rms_std"] = np.sqrt(vn.obs_rms.var).tolist()
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--total-timesteps", type=int, default=100_000)
    ap.add_argument("--learning-starts", type=int, default=100)
    ap.add_argument("--learning-rate", type=float, default=1e-4)
    ap.add_argument("--vecnorm", action="store_true", help="VecNormalize observations")
    ap.add_argument("--norm-reward", action="store_true", help="also VecNormalize rewards (SB3 default)")
    ap.add_argument("--store-normalized", action="store_true",
                    help="NOT SB3: with --vecnorm, store normalised obs in the buffer (recrl-style)")
    ap.add_argument("--eval-every", type=int, default=10_000)
    ap.add_argument("--eval-episodes", type=int, default=10_000)
    ap.add_argument("--eval-seed", type=int, default=20261128)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    print(f"config: {vars(args)}  torch {th.__version__} threads {th.get_num_threads()}", flush=True)
    res = run(args)
    print(f"oracle {res['oracle']:.4f}  uniform {res['uniform']:.4f}  "
          f"final {res['evals'][args.total_timesteps]['mean']:.4f} = {res['final_pct_oracle']:.2f}% "
          f"of oracle  ({res['wall_s']:.1f} s = {res['num_timesteps'] / res['wall_s']:,.0f} steps/s, "
          f"{res['n_updates']} updates)", flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
