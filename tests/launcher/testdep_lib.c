/* A library no system has (liblorelei-testdep.so.1): the pre-flight test's
 * game needs it, so it is missing until the test puts it in a sysroot. */
int lorelei_testdep_answer(void);

int lorelei_testdep_answer(void)
{
    return 42;
}
