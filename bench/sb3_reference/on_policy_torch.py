#!/usr/bin/python3
"""Independent PyTorch re-implementation of Stable-Baselines3 2.3.x PPO and A2C (defaults,
MlpPolicy, n environment copies) on the recrl "seed" recommendation environment
(docs/environments/recommendation.md), the side-by-side yardstick of `recrl bench`'s ppo and a2c
rows.

Follows, step for step, SB3 2.3:
  * OnPolicyAlgorithm.learn: while num_timesteps < total: collect_rollouts(n_steps); then
    _update_current_progress_remaining; train().
  * collect_rollouts: per step, policy(obs) under no_grad (actions, values, log_probs),
    env.step (DummyVecEnv: each copy in turn, auto-reset, terminal observation in info; then
    VecNormalize), num_timesteps += n_envs, bootstrapping of truncated episodes (never here:
    the seed environment terminates), rollout_buffer.add; at the end predict_values(new_obs) and
    compute_returns_and_advantage (GAE, backwards over the rollout).
  * ActorCriticPolicy: FlattenExtractor; MlpExtractor with separate pi and vf nets
    [64, 64] Tanh; action_net Linear(64, n_actions), value_net Linear(64, 1); orthogonal init
    (gains sqrt(2), sqrt(2), 0.01, 1), zero biases; torch.distributions.Categorical(logits).
  * PPO.train: n_epochs passes over a fresh permutation in minibatches of batch_size;
    advantages normalised per minibatch (mean, unbiased std + 1e-8); clipped surrogate,
    clip_fraction and approx_kl as SB3 computes them (with their .item() calls); value loss
    mse(returns, values); loss = pg + ent_coef * entropy_loss + vf_coef * value_loss;
    clip_grad_norm_(max_grad_norm); Adam(lr 3e-4, eps 1e-5).
  * A2C.train: one gradient step over the whole rollout: pg = -(advantages * log_prob).mean(),
    no advantage normalisation; RMSprop(lr 7e-4, alpha 0.99, eps 1e-5); gae_lambda 1.
It does less per step than SB3: users are drawn in blocks by numpy and there is no Gym,
callback or logger layer, so it runs at least as fast as SB3 would here and a speed ratio
against it is a lower bound of the ratio against SB3.
"""
import argparse
import time

import numpy as np
import torch as th
import torch.nn as nn
import torch.nn.functional as F

from seed_env import N_ACTIONS, OBS_DIM, RecEnv, VecNorm, check_env, draw_users, reward_table

th.set_num_threads(1)
th.set_num_interop_threads(1)

DEFAULTS = {  # SB3 2.3 ppo/ppo.py and a2c/a2c.py constructor defaults
    "ppo": dict(learning_rate=3e-4, n_steps=2048, batch_size=64, n_epochs=10, gamma=0.99,
                gae_lambda=0.95, clip_range=0.2, ent_coef=0.0, vf_coef=0.5, max_grad_norm=0.5,
                normalize_advantage=True),
    "a2c": dict(learning_rate=7e-4, n_steps=5, gamma=0.99, gae_lambda=1.0, ent_coef=0.0,
                vf_coef=0.5, max_grad_norm=0.5, normalize_advantage=False),
}


# ----------------------------------------------------------------------------- policy
class ActorCritic(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.policy_net = nn.Sequential(nn.Linear(OBS_DIM, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh())
        self.value_net_body = nn.Sequential(nn.Linear(OBS_DIM, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh())
        self.action_net = nn.Linear(64, N_ACTIONS)
        self.value_net = nn.Linear(64, 1)
        gains = [(self.policy_net, np.sqrt(2)), (self.value_net_body, np.sqrt(2)),
                 (self.action_net, 0.01), (self.value_net, 1.0)]
        for module, gain in gains:  # ActorCriticPolicy.init_weights
            for m in module.modules():
                if isinstance(m, nn.Linear):
                    nn.init.orthogonal_(m.weight, gain=gain)
                    m.bias.data.fill_(0.0)

    def _latent(self, obs):
        features = self.flatten(obs)
        return self.policy_net(features), self.value_net_body(features)

    def forward(self, obs):  # ActorCriticPolicy.forward
        latent_pi, latent_vf = self._latent(obs)
        values = self.value_net(latent_vf)
        distribution = th.distributions.Categorical(logits=self.action_net(latent_pi))
        actions = distribution.sample()
        return actions, values, distribution.log_prob(actions)

    def evaluate_actions(self, obs, actions):
        latent_pi, latent_vf = self._latent(obs)
        distribution = th.distributions.Categorical(logits=self.action_net(latent_pi))
        return self.value_net(latent_vf), distribution.log_prob(actions), distribution.entropy()

    def predict_values(self, obs):
        return self.value_net(self.value_net_body(self.flatten(obs)))

    def greedy(self, obs):
        return self.action_net(self.policy_net(self.flatten(obs))).argmax(dim=1)


# ----------------------------------------------------------------------------- environments
class DummyVecEnv:
    """SB3's DummyVecEnv over RecEnv copies, with VecNormalize on observations."""

    def __init__(self, n_envs, seed, vn):
        self.envs = [RecEnv(seed=10_000 + seed + i) for i in range(n_envs)]
        self.vn = vn

    def reset(self):
        obs = np.stack([env.reset() for env in self.envs])
        if self.vn is None:
            return obs
        self.vn.on_reset(obs)
        return self.vn.norm_obs(obs)

    def step(self, actions):
        n = len(self.envs)
        obs = np.zeros((n, OBS_DIM), np.float32)
        rewards = np.zeros(n, np.float32)
        dones = np.zeros(n, bool)
        infos = []
        for i, env in enumerate(self.envs):
            o, r, terminated, truncated = env.step(int(actions[i]))
            dones[i] = terminated or truncated
            info = {"TimeLimit.truncated": truncated and not terminated}
            if dones[i]:
                info["terminal_observation"] = o
                o = env.reset()
            obs[i], rewards[i] = o, r
            infos.append(info)
        if self.vn is not None:
            self.vn.on_step(obs, rewards, dones)
            for i, info in enumerate(infos):
                if "terminal_observation" in info:
                    info["terminal_observation"] = self.vn.norm_obs(info["terminal_observation"])
            obs = self.vn.norm_obs(obs)
        return obs, rewards, dones, infos


# ----------------------------------------------------------------------------- rollout buffer
class RolloutBuffer:  # common/buffers.py RolloutBuffer
    def __init__(self, n_steps, n_envs, gamma, gae_lambda):
        self.n_steps, self.n_envs, self.gamma, self.gae_lambda = n_steps, n_envs, gamma, gae_lambda
        self.reset()

    def reset(self):
        shape = (self.n_steps, self.n_envs)
        self.observations = np.zeros(shape + (OBS_DIM,), np.float32)
        self.actions = np.zeros(shape + (1,), np.float32)
        self.rewards = np.zeros(shape, np.float32)
        self.returns = np.zeros(shape, np.float32)
        self.episode_starts = np.zeros(shape, np.float32)
        self.values = np.zeros(shape, np.float32)
        self.log_probs = np.zeros(shape, np.float32)
        self.advantages = np.zeros(shape, np.float32)
        self.pos = 0

    def add(self, obs, action, reward, episode_start, value, log_prob):
        self.observations[self.pos] = np.array(obs)
        self.actions[self.pos] = np.array(action).reshape(self.n_envs, 1)
        self.rewards[self.pos] = np.array(reward)
        self.episode_starts[self.pos] = np.array(episode_start)
        self.values[self.pos] = value.clone().cpu().numpy().flatten()
        self.log_probs[self.pos] = log_prob.clone().cpu().numpy()
        self.pos += 1

    def compute_returns_and_advantage(self, last_values, dones):
        last_values = last_values.clone().cpu().numpy().flatten()
        last_gae_lam = 0
        for step in reversed(range(self.n_steps)):
            if step == self.n_steps - 1:
                next_non_terminal = 1.0 - dones.astype(np.float32)
                next_values = last_values
            else:
                next_non_terminal = 1.0 - self.episode_starts[step + 1]
                next_values = self.values[step + 1]
            delta = self.rewards[step] + self.gamma * next_values * next_non_terminal - self.values[step]
            last_gae_lam = delta + self.gamma * self.gae_lambda * next_non_terminal * last_gae_lam
            self.advantages[step] = last_gae_lam
        self.returns = self.advantages + self.values

    def get(self, batch_size):
        n = self.n_steps * self.n_envs
        flat = {name: getattr(self, name).swapaxes(0, 1).reshape(n, -1)
                for name in ("observations", "actions", "values", "log_probs", "advantages", "returns")}
        indices = np.random.permutation(n)
        batch_size = n if batch_size is None else batch_size
        for start in range(0, n, batch_size):
            idx = indices[start:start + batch_size]
            yield {name: th.tensor(array[idx]) for name, array in flat.items()}


# ----------------------------------------------------------------------------- training
def train_ppo(policy, optimizer, buffer, hp):
    clip_range = hp["clip_range"]
    pg_losses, value_losses, entropy_losses, clip_fractions, approx_kls = [], [], [], [], []
    for _ in range(hp["n_epochs"]):
        for data in buffer.get(hp["batch_size"]):
            actions = data["actions"].long().flatten()
            values, log_prob, entropy = policy.evaluate_actions(data["observations"], actions)
            values = values.flatten()
            advantages = data["advantages"].flatten()
            if hp["normalize_advantage"] and len(advantages) > 1:
                advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
            ratio = th.exp(log_prob - data["log_probs"].flatten())
            policy_loss = -th.min(advantages * ratio,
                                  advantages * th.clamp(ratio, 1 - clip_range, 1 + clip_range)).mean()
            pg_losses.append(policy_loss.item())
            clip_fractions.append(th.mean((th.abs(ratio - 1) > clip_range).float()).item())
            value_loss = F.mse_loss(data["returns"].flatten(), values)
            value_losses.append(value_loss.item())
            entropy_loss = -th.mean(entropy)
            entropy_losses.append(entropy_loss.item())
            loss = policy_loss + hp["ent_coef"] * entropy_loss + hp["vf_coef"] * value_loss
            with th.no_grad():
                log_ratio = log_prob - data["log_probs"].flatten()
                approx_kls.append(th.mean((th.exp(log_ratio) - 1) - log_ratio).cpu().numpy())
            optimizer.zero_grad()
            loss.backward()
            th.nn.utils.clip_grad_norm_(policy.parameters(), hp["max_grad_norm"])
            optimizer.step()
    return len(pg_losses)


def train_a2c(policy, optimizer, buffer, hp):
    for data in buffer.get(None):
        actions = data["actions"].long().flatten()
        values, log_prob, entropy = policy.evaluate_actions(data["observations"], actions)
        values = values.flatten()
        advantages = data["advantages"].flatten()
        policy_loss = -(advantages * log_prob).mean()
        value_loss = F.mse_loss(data["returns"].flatten(), values)
        entropy_loss = -th.mean(entropy)
        loss = policy_loss + hp["ent_coef"] * entropy_loss + hp["vf_coef"] * value_loss
        optimizer.zero_grad()
        loss.backward()
        th.nn.utils.clip_grad_norm_(policy.parameters(), hp["max_grad_norm"])
        optimizer.step()
    return 1


def evaluate(policy, users, rewards, vn):
    obs = vn.norm_obs(users) if vn is not None else users.astype(np.float32)
    with th.no_grad():
        a = policy.greedy(th.as_tensor(obs)).numpy()
    return float(rewards[np.arange(len(a)), a].mean())


def run(args):
    check_env()
    hp = DEFAULTS[args.algo]
    eval_users = draw_users(np.random.default_rng(args.eval_seed), args.eval_episodes)
    eval_rew = reward_table(eval_users)
    oracle = float(eval_rew.max(axis=1).mean())

    np.random.seed(args.seed)
    th.manual_seed(args.seed)
    vn = VecNorm(norm_reward=False, n_envs=args.n_envs) if args.vecnorm else None
    env = DummyVecEnv(args.n_envs, args.seed, vn)
    policy = ActorCritic()
    if args.algo == "ppo":
        optimizer = th.optim.Adam(policy.parameters(), lr=hp["learning_rate"], eps=1e-5)
        train = train_ppo
    else:
        optimizer = th.optim.RMSprop(policy.parameters(), lr=hp["learning_rate"], alpha=0.99,
                                     eps=1e-5, weight_decay=0)
        train = train_a2c
    buffer = RolloutBuffer(hp["n_steps"], args.n_envs, hp["gamma"], hp["gae_lambda"])

    t0 = time.time()
    last_obs = env.reset()
    last_episode_starts = np.ones(args.n_envs, bool)
    num_timesteps, gradient_steps = 0, 0
    while num_timesteps < args.total_timesteps:
        buffer.reset()
        for _ in range(hp["n_steps"]):
            with th.no_grad():
                actions, values, log_probs = policy(th.as_tensor(last_obs))
            actions = actions.cpu().numpy()
            new_obs, rewards, dones, infos = env.step(actions)
            num_timesteps += args.n_envs
            for idx, done in enumerate(dones):  # bootstrapping on truncation
                if done and infos[idx].get("TimeLimit.truncated", False):
                    with th.no_grad():
                        terminal = th.as_tensor(infos[idx]["terminal_observation"][None, :])
                        rewards[idx] += hp["gamma"] * policy.predict_values(terminal)[0].item()
            buffer.add(last_obs, actions, rewards, last_episode_starts, values, log_probs)
            last_obs, last_episode_starts = new_obs, dones
        with th.no_grad():
            last_values = policy.predict_values(th.as_tensor(new_obs))
        buffer.compute_returns_and_advantage(last_values, dones)
        gradient_steps += train(policy, optimizer, buffer, hp)
    wall = time.time() - t0
    mean = evaluate(policy, eval_users, eval_rew, vn)
    return num_timesteps, gradient_steps, wall, mean, oracle


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--algo", choices=sorted(DEFAULTS), default="ppo")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n-envs", type=int, default=8)
    ap.add_argument("--total-timesteps", type=int, default=100_000)
    ap.add_argument("--vecnorm", action="store_true", help="VecNormalize observations")
    ap.add_argument("--eval-episodes", type=int, default=10_000)
    ap.add_argument("--eval-seed", type=int, default=20261128)
    args = ap.parse_args()
    steps, updates, wall, mean, oracle = run(args)
    print(f"{args.algo}: {steps} steps in {wall:.1f} s = {steps / wall:,.0f} steps/s "
          f"({updates} gradient steps, torch {th.__version__}, {th.get_num_threads()} thread); "
          f"eval {mean:.4f} = {100 * mean / oracle:.2f}% of oracle", flush=True)


if __name__ == "__main__":
    main()
