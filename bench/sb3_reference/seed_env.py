"""The seed recommendation environment (docs/environments/recommendation.md: the default user
generator, catalog and seed_rules reward) and SB3's VecNormalize, in numpy, for the PyTorch
references of this folder (dqn_torch.py, on_policy_torch.py)."""
import numpy as np

# ----------------------------------------------------------------------------- environment
# catalog: (offer, value, channel); offer 0 discount, 1 free_shipping, 2 reminder;
# channel 0 email, 1 sms, 2 push
CATALOG = [(0, 10, 0), (0, 10, 1), (0, 15, 0), (0, 15, 1), (0, 15, 2),
           (1, 0, 0), (1, 0, 1), (1, 0, 2), (2, 0, 0), (2, 0, 2)]
OFFER = np.array([c[0] for c in CATALOG])
VALUE = np.array([c[1] for c in CATALOG])
CHAN = np.array([c[2] for c in CATALOG])
N_ACTIONS = len(CATALOG)
OBS_DIM = 10


def draw_users(rng, n):
    """n users x 10 features, float64, per the spec's generators."""
    u = np.empty((n, OBS_DIM))
    u[:, 0] = np.minimum(365, np.floor(rng.exponential(30.0, n)))
    u[:, 1] = rng.poisson(4.0, n)
    u[:, 2] = np.round(rng.lognormal(5.0, 0.7, n), 2)
    u[:, 3] = rng.beta(2, 2, n)
    u[:, 4] = (rng.random(n) < 0.45).astype(float)
    u[:, 5] = (rng.random(n) < 0.35).astype(float)
    u[:, 6] = rng.beta(3, 3, n)
    u[:, 7] = rng.beta(2, 4, n)
    u[:, 8] = rng.beta(2, 5, n)
    u[:, 9] = np.minimum(365, np.floor(rng.exponential(45.0, n)))
    return u


def reward_table(users):
    """[n, n_actions] seed_rules rewards (no noise)."""
    ds = users[:, 4:5] == 1
    fs = users[:, 5:6] == 1
    best = np.argmax(users[:, 6:9], axis=1)[:, None]  # ties -> earlier of email, sms, push
    mv = users[:, 2:3]
    off = OFFER[None, :]
    targeting = ((off == 0) & ds) | ((off == 1) & fs) | ((off == 2) & ~ds & ~fs)
    channel = CHAN[None, :] == best
    valfit = (off == 0) & targeting & (((VALUE[None, :] >= 15) & (mv >= 150)) |
                                       ((VALUE[None, :] < 15) & (mv < 150)))
    r = 0.5 * targeting + 0.3 * channel + 0.1 * valfit
    return np.clip(r, 0.0, 1.0)


def check_env():
    u = np.array([[15, 3, 200, 0.78, 1, 0, 0.87, 0.12, 0.05, 8]], dtype=float)
    r = reward_table(u)[0]
    assert abs(r[2] - 0.9) < 1e-12 and abs(r[0] - 0.8) < 1e-12, r


class RecEnv:
    """Horizon-1 env: each reset draws a fresh user; step -> terminated=True, truncated=False.
    Users are pre-drawn in blocks for speed (same distribution)."""

    def __init__(self, seed, block=4096):
        self.rng = np.random.default_rng(seed)
        self.block = block
        self._buf = None
        self._i = block

    def reset(self):
        if self._i >= self.block:
            self._buf = draw_users(self.rng, self.block)
            self._rew = reward_table(self._buf)
            self._i = 0
        self.cur = self._i
        self._i += 1
        return self._buf[self.cur].astype(np.float32)

    def step(self, a):
        r = float(self._rew[self.cur, a])
        obs = self._buf[self.cur].astype(np.float32)  # the observation returned at termination
        return obs, r, True, False


# ----------------------------------------------------------------------------- VecNormalize
class RunningMeanStd:  # stable_baselines3/common/running_mean_std.py
    def __init__(self, shape=(), epsilon=1e-4):
        self.mean = np.zeros(shape, np.float64)
        self.var = np.ones(shape, np.float64)
        self.count = epsilon

    def update(self, arr):
        bm, bv, bc = np.mean(arr, axis=0), np.var(arr, axis=0), arr.shape[0]
        delta = bm - self.mean
        tot = self.count + bc
        new_mean = self.mean + delta * bc / tot
        m2 = self.var * self.count + bv * bc + np.square(delta) * self.count * bc / tot
        self.mean, self.var, self.count = new_mean, m2 / tot, tot


class VecNorm:
    """SB3's VecNormalize over n environment copies (common/vec_env/vec_normalize.py): the
    running statistics see every raw observation a reset or step returns, as a batch of n."""

    def __init__(self, norm_reward, n_envs=1, gamma=0.99, clip_obs=10.0, clip_reward=10.0,
                 eps=1e-8):
        self.obs_rms = RunningMeanStd(shape=(OBS_DIM,))
        self.ret_rms = RunningMeanStd(shape=())
        self.norm_reward = norm_reward
        self.gamma, self.clip_obs, self.clip_reward, self.eps = gamma, clip_obs, clip_reward, eps
        self.returns = np.zeros(n_envs)

    def norm_obs(self, obs):  # obs [..., 10] raw -> float32 normalised
        return np.clip((obs - self.obs_rms.mean) / np.sqrt(self.obs_rms.var + self.eps),
                       -self.clip_obs, self.clip_obs).astype(np.float32)

    def norm_rew(self, r):
        if not self.norm_reward:
            return r
        return np.clip(r / np.sqrt(self.ret_rms.var + self.eps), -self.clip_reward, self.clip_reward)

    def on_reset(self, obs):  # obs [n, 10]
        self.obs_rms.update(obs)

    def on_step(self, obs, rewards, dones):  # obs [n, 10], rewards [n], dones [n] bool
        self.obs_rms.update(obs)
        self.returns = self.returns * self.gamma + rewards
        self.ret_rms.update(self.returns)
        self.returns[dones] = 0
