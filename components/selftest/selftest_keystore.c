/* keystore selftests:
 *
 *  - persistence: the device public key (through keystore_pub, as selftest,
 *    which the table's keyuse line allows) is recorded under /state/selftest/ on
 *    the first boot; a later boot prints "SELFTEST: device key persist ok" only
 *    after its key matched the recorded one;
 *  - sign as shell (granted pub,sign): the signature verifies under the public
 *    key; sign as selftest (granted pub only): EACCES and the audit record; a get
 *    and a list of /state/keystore/ through statefs as selftest: EACCES and the
 *    audit records -> "SELFTEST: keystore unauthorized access rejected";
 *  - bad caller memory (names, messages, signatures, outputs) -> EFAULT, audited,
 *    keystore still up -> "SELFTEST: keystore bad caller memory refused ok";
 *  - keystore down after a record failed to open (its integrity audit record
 *    says so) -> "SELFTEST: keystore tamper refused ok". */
#include <stdio.h>
#include <string.h>

#include "cairn/audit.h"
#include "cairn/cap.h"
#include "cairn/console.h"
#include "cairn/err.h"
#include "cairn/supervisor.h"
#include "cairn/sync.h"
#include "crypto.h"
#include "keystore.h"
#include "selftest.h"
#include "statefs_svc.h"

#define PUB_KEY "/state/selftest/device_pub"
#define BAD_ADDR ((void *)(uintptr_t)0x40) /* in the unmapped page at 0 */

static const uint8_t ro_buf[64] = { 1 }; /* .rodata: a copy-out target that faults */

static const char msg[] = "selftest: sign me";

#ifdef CAP_ENABLED_SHELL
static uint8_t shell_sig[64];

/* sign_as_shell: runs as shell (selftest_run_as), which keyuse grants sign. */
static int sign_as_shell(void)
{
	return keystore_sign(KEYSTORE_DEVICE, msg, sizeof msg, shell_sig, sizeof shell_sig);
}
#endif

/* persist: record the public key, or compare it with the recorded one. */
static int persist(const uint8_t pub[32])
{
	uint8_t old[32];
	int n = statefs_svc_get(PUB_KEY, old, sizeof old);
	/* After the recovery action the identity is new by design: record it again. */
	bool recovered = selftest_audited(0, AUDIT_INTEGRITY, CAP_COMP_KEYSTORE, CAP_COMP_KEYSTORE,
					  "recover", "new device identity created", false) > 0;

	if (n == CAIRN_ENOENT || recovered) {
		int err = statefs_svc_put(PUB_KEY, pub, 32);
		if (!err)
			err = statefs_svc_sync();
		if (err)
			return err;
		kprintf("SELFTEST: device key recorded%s\n", recovered ? " (after recovery)" : "");
		return 0;
	}
	if (n != 32 || memcmp(old, pub, 32) != 0) {
		kprintf("SELFTEST: device key persist FAILED (n=%d)\n", n);
		return CAIRN_EIO;
	}
	kprintf("SELFTEST: device key persist ok\n");
	return 0;
}

/* unauthorized: the denials through keystore and through statefs, audited. */
static int unauthorized(const uint8_t pub[32])
{
	uint8_t sig[64], buf[8];
	struct statefs_dirent d[2];
	uint64_t seq = audit_next_seq();
	int fails = 0;

#ifdef CAP_ENABLED_SHELL
	if (selftest_run_as(CAP_COMP_SHELL, "ks-shell", sign_as_shell) != 64 ||
	    crypto_ed25519_verify(shell_sig, msg, sizeof msg, pub) != 0)
		fails++;
#else
	(void)pub;
#endif
	if (keystore_sign(KEYSTORE_DEVICE, msg, sizeof msg, sig, sizeof sig) != CAIRN_EACCES ||
	    selftest_audited(seq, AUDIT_ACCESS_DENIED, CAP_COMP_SELFTEST, CAP_COMP_KEYSTORE, "sign",
			     "keystore/device", false) != 1)
		fails++;
	if (statefs_svc_get("/state/keystore/keystore/device", buf, sizeof buf) != CAIRN_EACCES ||
	    statefs_svc_list("/state/keystore/", NULL, d, 2) != CAIRN_EACCES ||
	    selftest_audited(seq, AUDIT_ACCESS_DENIED, CAP_COMP_SELFTEST, CAP_COMP_STATEFS, NULL,
			     "/state/keystore/", true) != 2)
		fails++;
	if (fails) {
		kprintf("SELFTEST: keystore unauthorized access FAILED (%d)\n", fails);
		return CAIRN_EIO;
	}
	kprintf("SELFTEST: keystore unauthorized access rejected\n");
	return 0;
}

/* bad_memory: every keystore entry point with a bad caller pointer gets EFAULT
 * and an audit record; keystore stays up (the fault is the caller's). */
static int bad_memory(const uint8_t pub[32])
{
	uint8_t sig[64] = { 0 }, out[32];
	uint64_t seq = audit_next_seq();
	uint32_t gen = supervisor_generation(CAP_COMP_KEYSTORE);
	int wrong = 0;

	wrong += keystore_pub(BAD_ADDR, out) != CAIRN_EFAULT;
	wrong += keystore_pub(KEYSTORE_DEVICE, (void *)ro_buf) != CAIRN_EFAULT;
	wrong += keystore_verify(KEYSTORE_DEVICE, BAD_ADDR, 8, sig, sizeof sig) != CAIRN_EFAULT;
	wrong += keystore_verify(KEYSTORE_DEVICE, msg, sizeof msg, BAD_ADDR, 64) != CAIRN_EFAULT;
	wrong += keystore_create(BAD_ADDR, KEYSTORE_TYPE_HMAC, KEYSTORE_USE_SIGN) != CAIRN_EFAULT;
	unsigned audited = selftest_audited(seq, AUDIT_BAD_ADDR, CAP_COMP_SELFTEST,
					    CAP_COMP_KEYSTORE, NULL, NULL, false);
	uint8_t again[32];
	bool up = supervisor_state(CAP_COMP_KEYSTORE) == COMP_UP &&
		  supervisor_generation(CAP_COMP_KEYSTORE) == gen &&
		  keystore_pub(KEYSTORE_DEVICE, again) == 0 && memcmp(again, pub, 32) == 0;
	if (wrong || audited != 5 || !up) {
		kprintf("SELFTEST: keystore bad caller memory FAILED: %d wrong, %u audited (want "
			"5), "
			"up=%d\n",
			wrong, audited, up);
		return 1;
	}
	kprintf("SELFTEST: keystore bad caller memory refused ok\n");
	return 0;
}

/* selftest_keystore: returns the number of failures. */
int selftest_keystore(void)
{
	uint8_t pub[32];
	int err = keystore_pub(KEYSTORE_DEVICE, pub);

	if (err == CAIRN_EAGAIN || err == CAIRN_ESHUTDOWN) {
		/* Down: a tampered record leaves its integrity record (op boot). */
		if (selftest_audited(0, AUDIT_INTEGRITY, CAP_COMP_KEYSTORE, CAP_COMP_KEYSTORE,
				     "boot", "record does not open", true) > 0 &&
		    keystore_pub(KEYSTORE_DEVICE, pub) != 0) {
			kprintf("SELFTEST: keystore tamper refused ok\n");
			return 0;
		}
		kprintf("SELFTEST: keystore skipped (keystore not up: %s)\n", cairn_strerror(err));
		return 0;
	}
	if (err) {
		kprintf("SELFTEST: keystore pub FAILED (%s)\n", cairn_strerror(err));
		return 1;
	}
	return (persist(pub) != 0) + (unauthorized(pub) != 0) + bad_memory(pub);
}
