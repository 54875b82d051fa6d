// The types of the library dyncast_check loads, unloads and loads again.
#pragma once

struct PluginBase {
    virtual ~PluginBase()
    {
    }
    int base = 1;
};
struct PluginSide {
    virtual ~PluginSide()
    {
    }
    int side = 2;
};
