// libcastcache-plugin.so: a class dyncast_check only meets through dlopen.
#include "plugin_types.h"

struct PluginObject : PluginBase, PluginSide {
    int object = 3;
};

extern "C" __attribute__((visibility("default"))) PluginBase *make_plugin_object()
{
    return new PluginObject;
}
