/* Sleeping mutexes and counting semaphores on top of wait queues. */
#include "cairn/err.h"
#include "cairn/hart.h"
#include "cairn/kernel.h"
#include "cairn/panic.h"
#include "cairn/sched.h"

void mutex_init(struct mutex *m, const char *name)
{
	spin_init(&m->lk, name);
	m->locked = false;
	m->owner = 0;
	waitq_init(&m->wq);
}

void mutex_lock(struct mutex *m)
{
	struct thread *self = thread_current();
	if (!self)
		panic("mutex_lock(%s) outside a thread", m->lk.name);
	spin_lock(&m->lk);
	if (m->owner == self)
		panic("mutex %s: recursive lock by %s", m->lk.name, self->name);
	while (m->locked)
		(void)waitq_wait(&m->wq, &m->lk, 0);
	m->locked = true;
	m->owner = self;
	spin_unlock(&m->lk);
}

void mutex_unlock(struct mutex *m)
{
	spin_lock(&m->lk);
	if (m->owner != thread_current())
		panic("mutex %s: unlocked by a non-owner", m->lk.name);
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
