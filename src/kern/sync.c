/* Sleeping mutexes and counting semaphores on top of wait queues. */
#include "cairn/sync.h"
#include "cairn/err.h"
#include "cairn/hart.h"
#include "cairn/panic.h"
#include "cairn/sched.h"
#include "cairn/timer.h"

void mutex_init(struct mutex *m, const char *name)
{
	spin_init(&m->lk, name);
	m->locked = false;
	m->dead_owner = false;
	m->owner = 0;
	m->next_held = NULL;
	waitq_init(&m->wq);
}

/* lock_common: wait for m and take it, unless an owner died holding it
 * (CAIRN_ESHUTDOWN, not taken). */
static int lock_common(struct mutex *m)
{
	struct thread *self = thread_current();
	if (!self)
		panic("mutex_lock(%s) outside a thread", m->lk.name);
	spin_lock(&m->lk);
	if (m->owner == self)
		panic("mutex %s: recursive lock by %s", m->lk.name, self->name);
	while (m->locked && !m->dead_owner)
		(void)waitq_wait(&m->wq, &m->lk, 0);
	if (m->dead_owner) {
		spin_unlock(&m->lk);
		return CAIRN_ESHUTDOWN;
	}
	m->locked = true;
	m->owner = self;
	spin_unlock(&m->lk);
	m->next_held = self->held;
	self->held = m;
	return 0;
}

void mutex_lock(struct mutex *m)
{
	if (lock_common(m))
		panic("mutex %s: its owner died holding it", m->lk.name);
}

int mutex_lock_live(struct mutex *m) { return lock_common(m); }

/* forget_held: take m off self's list of held mutexes. */
static void forget_held(struct thread *self, struct mutex *m)
{
	for (struct mutex **p = &self->held; *p; p = &(*p)->next_held) {
		if (*p == m) {
			*p = m->next_held;
			m->next_held = NULL;
			return;
		}
	}
}

void mutex_unlock(struct mutex *m)
{
	struct thread *self = thread_current();
	spin_lock(&m->lk);
	if (m->owner != self)
		panic("mutex %s: unlocked by a non-owner", m->lk.name);
	/* Off the held list while still the owner: once released, the next owner
	 * links m into its own list (m->next_held), and a late forget_held here would
	 * splice that list into ours (a leader holding two statefs mutexes lost one
	 * to a writer thread, which then exited "holding" it). */
	forget_held(self, m);
	m->locked = false;
	m->owner = 0;
	(void)waitq_wake_one(&m->wq);
	spin_unlock(&m->lk);
}

bool mutex_held(struct mutex *m)
{
	spin_lock(&m->lk);
	bool held = m->locked && m->owner == thread_current();
	spin_unlock(&m->lk);
	return held;
}

void mutex_abandon_held(struct thread *t)
{
	while (t->held) {
		struct mutex *m = t->held;
		t->held = m->next_held;
		m->next_held = NULL;
		spin_lock(&m->lk);
		m->locked = false;
		m->owner = 0;
		m->dead_owner = true;
		(void)waitq_wake_all(&m->wq);
		spin_unlock(&m->lk);
	}
}

void sem_init(struct semaphore *s, int64_t count)
{
	spin_init(&s->lk, "sem");
	s->count = count;
	waitq_init(&s->wq);
}

int sem_down(struct semaphore *s, uint64_t timeout_us)
{
	uint64_t deadline = timeout_us ? time_us() + timeout_us : 0;
	spin_lock(&s->lk);
	while (s->count <= 0) {
		uint64_t left = 0;
		if (deadline) {
			uint64_t now = time_us();
			if (now >= deadline) {
				spin_unlock(&s->lk);
				return CAIRN_ETIMEDOUT;
			}
			left = deadline - now;
		}
		(void)waitq_wait(&s->wq, &s->lk, left);
	}
	s->count--;
	spin_unlock(&s->lk);
	return 0;
}

void sem_up(struct semaphore *s)
{
	spin_lock(&s->lk);
	s->count++;
	(void)waitq_wake_one(&s->wq);
	spin_unlock(&s->lk);
}
