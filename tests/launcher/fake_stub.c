/*
 * Built once per guest library soname as a stand-in for the real stubs in
 * the run tests: lorelei_test_stub() names which one the guest loaded.
 */
const char *lorelei_test_stub(void);

const char *lorelei_test_stub(void)
{
    return "stub:" STUB_NAME;
}
