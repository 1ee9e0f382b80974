#include "runtime/slot_table.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"

namespace saludo::runtime {
namespace {

struct Entry {
  std::string name;
  std::unique_ptr<int> owned;
};

TEST(SlotTableTest, InsertFindErase) {
  SlotTable<Entry> table;
  table.Insert(3).name = "three";
  table.Insert(7).name = "seven";
  EXPECT_EQ(table.size(), 2u);
  ASSERT_NE(table.Find(7), nullptr);
  EXPECT_EQ(table.Find(7)->name, "seven");
  EXPECT_EQ(table.At(3).name, "three");
  EXPECT_EQ(table.Find(5), nullptr);
  table.Erase(7);
  EXPECT_EQ(table.Find(7), nullptr);
  EXPECT_EQ(table.size(), 1u);
}

TEST(SlotTableTest, ErasedSlotIsReusedAndStartsEmpty) {
  SlotTable<Entry> table;
  Entry& first = table.Insert(1);
  first.name = "first";
  first.owned = std::make_unique<int>(42);
  table.Erase(1);
  Entry& second = table.Insert(2);
  EXPECT_EQ(&second, &first);  // the slot came back
  EXPECT_TRUE(second.name.empty());
  EXPECT_EQ(second.owned, nullptr);
}

TEST(SlotTableTest, AddressesStayWhileTheTableGrows) {
  SlotTable<Entry> table;
  Entry* first = &table.Insert(0);
  first->name = "kept";
  for (uint64_t id = 1; id < 10000; ++id) table.Insert(id);
  EXPECT_EQ(table.Find(0), first);
  EXPECT_EQ(first->name, "kept");
}

TEST(SlotTableTest, IdsAscendWhateverTheErasureOrder) {
  SlotTable<Entry> table;
  for (uint64_t id : {1u, 3u, 7u, 50u, 1000000u}) table.Insert(id);
  table.Erase(7);
  table.Erase(1);
  EXPECT_EQ(table.Ids(), (std::vector<uint64_t>{3, 50, 1000000}));
  EXPECT_EQ(table.size(), 3u);
}

// One object stays while a million newer ones come and go: it moves out of
// the window, so the window stays short, and is still found and erased.
TEST(SlotTableTest, AnOldObjectAmongManyShortLivedOnes) {
  SlotTable<Entry> table;
  table.Insert(0).name = "old";
  for (uint64_t id = 1; id <= 1000000; ++id) {
    table.Insert(id);
    if (id > 10) table.Erase(id - 10);
  }
  EXPECT_EQ(table.size(), 11u);
  ASSERT_NE(table.Find(0), nullptr);
  EXPECT_EQ(table.Find(0)->name, "old");
  std::vector<uint64_t> ids = table.Ids();
  ASSERT_EQ(ids.size(), 11u);
  EXPECT_EQ(ids.front(), 0u);
  EXPECT_EQ(ids[1], 999991u);
  table.Erase(0);
  EXPECT_EQ(table.Find(0), nullptr);
  EXPECT_EQ(table.size(), 10u);
}

TEST(SlotTableTest, AFarJumpInIds) {
  SlotTable<Entry> table;
  table.Insert(1).name = "near";
  table.Insert(uint64_t{1} << 40).name = "far";
  EXPECT_EQ(table.At(1).name, "near");
  EXPECT_EQ(table.At(uint64_t{1} << 40).name, "far");
  EXPECT_EQ(table.Ids(), (std::vector<uint64_t>{1, uint64_t{1} << 40}));
}

TEST(SlotTableDeathTest, RefusesAnOldIdAndAMissingOne) {
  SlotTable<Entry> table;
  table.Insert(5);
  EXPECT_DEATH(table.Insert(5), "next_id_");
  EXPECT_DEATH(table.Insert(4), "next_id_");
  EXPECT_DEATH(table.At(6), "nullptr");
  EXPECT_DEATH(table.Erase(6), "window_");
  EXPECT_DEATH(table.Erase(2), "retired_");
}

}  // namespace
}  // namespace saludo::runtime
